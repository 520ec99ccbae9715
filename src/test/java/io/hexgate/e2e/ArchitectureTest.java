package io.hexgate.e2e;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.hexgate.operator.RepoRoot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The shape the code keeps as it grows: packages without cycles, a datapath that never reaches into the
 * operator, and classes small enough to read in one sitting.
 */
class ArchitectureTest {
  /** Past this a class does more than one job; split it rather than raise the number. */
  static final int MAX_LINES = 400;

  private static JavaClasses production;

  @BeforeAll
  static void importProductionClasses() {
    production = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .withImportOption(location -> !location.contains("-tests.jar"))
        .importPackages("io.hexgate");
  }

  @Test
  @DisplayName("no package of a module depends, through any chain, on a package that depends back on it")
  void noPackageCycles() {
    for (String module : List.of("contract", "operator", "datapath", "lab", "bench", "cli")) {
      slices().matching("io.hexgate." + module + ".(**)").should().beFreeOfCycles()
          .allowEmptyShould(module.equals("contract"))
          .check(production);
    }
  }

  @Test
  @DisplayName("the node agent never imports the operator")
  void datapathNeverImportsTheOperator() {
    noClasses().that().resideInAPackage("io.hexgate.datapath..")
        .should().dependOnClassesThat().resideInAPackage("io.hexgate.operator..")
        .check(production);
  }

  @Test
  @DisplayName("no source file of the operator or the datapath is longer than " + MAX_LINES + " lines")
  void noClassOverTheLimit() {
    Map<String, Long> tooLong = new TreeMap<>();
    for (String module : List.of("operator", "datapath")) {
      Path sources = RepoRoot.find().resolve(module).resolve("src/main/java");
      try (Stream<Path> files = Files.walk(sources)) {
        files.filter(f -> f.toString().endsWith(".java")).forEach(f -> {
          long lines = lineCount(f);
          if (lines > MAX_LINES) {
            tooLong.put(RepoRoot.find().relativize(f).toString(), lines);
          }
        });
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    assertThat(tooLong).as("source files over %d lines", MAX_LINES).isEmpty();
  }

  private static long lineCount(Path f) {
    try (Stream<String> lines = Files.lines(f)) {
      return lines.count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
