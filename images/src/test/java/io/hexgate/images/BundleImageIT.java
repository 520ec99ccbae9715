package io.hexgate.images;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BundleImageIT {
  private static final Path BUNDLE = BuiltArchives.ROOT.resolve("bundle");
  private static OciArchive image;

  @BeforeAll
  static void open() throws IOException {
    image = OciArchive.open(BuiltArchives.bundleImage(), "/manifests/.*", "/metadata/.*", "/tests/.*");
  }

  @Test
  void isTaggedFromScratchWithNoEntrypoint() {
    assertThat(image.refName()).isEqualTo("ghcr.io/hexgate-io/hexgate-operator-bundle:v0.1.0");
    assertThat(image.strings("Entrypoint")).isEmpty();
    assertThat(image.strings("Cmd")).isEmpty();
    int layers = Files.isDirectory(BUNDLE.resolve("tests/scorecard")) ? 3 : 2;
    assertThat(image.manifest().path("layers")).hasSize(layers);
    assertThat(image.paths()).allMatch(p -> p.startsWith("/manifests") || p.startsWith("/metadata") || p.startsWith("/tests"));
  }

  @Test
  void labelsAreTheAnnotationsOfTheMetadataFile() throws IOException {
    Map<String, String> annotations = new LinkedHashMap<>();
    new ObjectMapper(new YAMLFactory()).readTree(BUNDLE.resolve("metadata/annotations.yaml").toFile())
        .path("annotations").fields().forEachRemaining(e -> annotations.put(e.getKey(), e.getValue().asText()));
    assertThat(annotations).containsKey("operators.operatorframework.io.bundle.package.v1");
    assertThat(image.labels()).isEqualTo(annotations);
  }

  @Test
  void holdsEveryBundleFileUnchanged() throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Stream.of("manifests", "metadata", "tests/scorecard").map(BUNDLE::resolve)
        .filter(Files::isDirectory).flatMap(BundleImageIT::walk)) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    assertThat(files).anyMatch(f -> f.startsWith(BUNDLE.resolve("manifests")))
        .contains(BUNDLE.resolve("metadata/annotations.yaml"));
    for (Path file : files) {
      String inImage = "/" + BUNDLE.relativize(file);
      assertThat(image.content(inImage).readAllBytes()).as(inImage).isEqualTo(Files.readAllBytes(file));
    }
  }

  private static Stream<Path> walk(Path dir) {
    try {
      return Files.walk(dir);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
