package io.hexgate.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** skopeo, with which the README pushes the archives, reads each one as the image the build reported. */
class SkopeoInspectIT {
  @ParameterizedTest
  @ValueSource(strings = {"hexgate-operator", "hexgate-agent", "hexgate-operator-bundle"})
  void skopeoReadsTheArchive(String name) throws Exception {
    Path tar = name.endsWith("bundle") ? BuiltArchives.bundleImage() : BuiltArchives.jvmImage(name);
    assumeTrue(HostTools.has("skopeo"), "no skopeo: run scripts/ensure-host-tools.sh as root");
    assertThat(tar).isRegularFile();
    JsonNode inspected = new ObjectMapper().readTree(
        HostTools.ok(List.of("skopeo", "inspect", "oci-archive:" + tar)).stdout());
    OciArchive archive = OciArchive.open(tar);
    assertThat(inspected.path("Digest").asText()).isEqualTo(archive.manifestDigest());
    assertThat(inspected.path("Labels").path("org.opencontainers.image.title").asText(null))
        .isEqualTo(archive.labels().get("org.opencontainers.image.title"));
    assertThat(inspected.path("Layers")).hasSize(archive.manifest().path("layers").size());
    assertThat(inspected.path("Os").asText()).isEqualTo("linux");
    assertThat(Files.size(tar)).isPositive();
  }
}
