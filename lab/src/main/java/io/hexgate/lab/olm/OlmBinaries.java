package io.hexgate.lab.olm;

import io.hexgate.lab.controlplane.ControlPlaneBinaries;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * OLM (v0) as {@code scripts/ensure-olm.sh} builds it once into a cache outside the checkout: the {@code olm}
 * and {@code catalog} operators, the {@code opm} that serves catalogs, and OLM's CRDs, all of one pinned
 * release.
 */
public record OlmBinaries(Path dir) {
  public static final String SCRIPT = "scripts/ensure-olm.sh";
  /** A cold build of the three binaries on 2 cores, with room to spare. */
  private static final long BUILD_MINUTES = 45;

  public OlmBinaries {
    for (Path p : List.of(dir.resolve("bin/olm"), dir.resolve("bin/catalog"), dir.resolve("bin/opm"))) {
      if (!Files.isExecutable(p)) {
        throw new IllegalArgumentException("no OLM build in " + dir + ": " + p + " is missing (" + SCRIPT + " builds it)");
      }
    }
  }

  /** The cached build, built first if needed; empty (with why on {@code progress}) when it cannot be had. */
  public static Optional<OlmBinaries> ensure(Path hexgateHome, PrintStream progress) throws IOException, InterruptedException {
    return ControlPlaneBinaries.runBuildScript(hexgateHome.resolve(SCRIPT), List.of(), "OLM", BUILD_MINUTES, progress).map(OlmBinaries::new);
  }

  /** The cached build if it is complete, without building anything (why not on {@code progress}). */
  public static Optional<OlmBinaries> built(Path hexgateHome, PrintStream progress) throws IOException, InterruptedException {
    return ControlPlaneBinaries.runBuildScript(hexgateHome.resolve(SCRIPT), List.of("--if-built"), "OLM", 1, progress).map(OlmBinaries::new);
  }

  public Path olm() {
    return dir.resolve("bin/olm");
  }

  public Path catalog() {
    return dir.resolve("bin/catalog");
  }

  public Path opm() {
    return dir.resolve("bin/opm");
  }

  /** OLM's CRDs ({@code deploy/chart/crds} of the release), in file name order. */
  public List<Path> crds() throws IOException {
    try (Stream<Path> files = Files.list(dir.resolve("crds"))) {
      return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    }
  }

  /** The release, from the cache directory's name ({@code olm-v0.46.0}). */
  public String version() {
    String name = dir.getFileName().toString();
    return name.startsWith("olm-") ? name.substring("olm-".length()) : name;
  }
}
