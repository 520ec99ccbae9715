package io.hexgate.images;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class OperatorImageIT {
  private static OciArchive image;

  @BeforeAll
  static void open() throws IOException {
    image = OciArchive.open(BuiltArchives.jvmImage("hexgate-operator"), "/etc/passwd", "/etc/group", "/app/jib-classpath-file");
  }

  @Test
  void isTaggedWithTheReferenceTheManifestsUse() {
    assertThat(image.manifestCount()).isEqualTo(1);
    assertThat(image.refName()).isEqualTo("ghcr.io/hexgate-io/hexgate-operator:0.1.0");
    assertThat(image.manifest().path("mediaType").asText()).isEqualTo("application/vnd.oci.image.manifest.v1+json");
    assertThat(image.config().path("architecture").asText()).isEqualTo("amd64");
    assertThat(image.config().path("os").asText()).isEqualTo("linux");
  }

  @Test
  void runsTheCliAsTheNonRootUserWithFlagsForAReadOnlyRoot() throws IOException {
    assertThat(image.strings("Entrypoint")).containsExactly("java", "-XX:-UsePerfData", "-XX:+ExitOnOutOfMemoryError",
        "-XX:MaxRAMPercentage=75", "-Djava.io.tmpdir=/tmp", "-cp", "@/app/jib-classpath-file", "io.hexgate.cli.HexgateCli");
    assertThat(image.strings("Cmd")).isEmpty();
    assertThat(image.containerConfig().path("User").asText()).isEqualTo("65532:65532");
    String passwd = new String(image.content("/etc/passwd").readAllBytes(), StandardCharsets.UTF_8);
    String group = new String(image.content("/etc/group").readAllBytes(), StandardCharsets.UTF_8);
    assertThat(passwd.lines()).contains("nonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin");
    assertThat(group.lines()).contains("nonroot:x:65532:");
    assertThat(image.entry("/tmp").orElseThrow().getMode() & 01777).isEqualTo(01777);
  }

  @Test
  void everyClassPathEntryIsInTheImage() throws IOException {
    String classpath = new String(image.content("/app/jib-classpath-file").readAllBytes(), StandardCharsets.UTF_8);
    assertThat(classpath.split(":")).hasSizeGreaterThan(50).startsWith("/app/hexgate.jar");
    for (String jar : classpath.split(":")) {
      assertThat(image.entry(jar)).as(jar).hasValueSatisfying(e -> assertThat(e.isFile()).isTrue());
    }
  }

  @Test
  void javaIsOnThePathAndWhereTheContractSaysItIs() {
    assertThat(image.resolve("/usr/lib/jvm/java-17-openjdk-amd64/bin/java"))
        .hasValueSatisfying(e -> assertThat(e.getMode() & 0111).isEqualTo(0111));
    assertThat(image.resolve("/usr/bin/java")).map(e -> "/" + e.getName())
        .hasValue("/usr/lib/jvm/java-17-openjdk-amd64/bin/java");
    assertThat(image.strings("Env")).anyMatch(env -> env.startsWith("PATH=") && env.contains("/usr/bin"));
    assertThat(image.resolve("/etc/ssl/certs/java/cacerts")).hasValueSatisfying(e -> assertThat(e.getSize()).isPositive());
  }

  @Test
  void carriesTheOciLabels() {
    assertThat(image.labels())
        .containsEntry("org.opencontainers.image.title", "hexgate-operator")
        .containsEntry("org.opencontainers.image.version", "0.1.0")
        .containsEntry("org.opencontainers.image.source", OciLabels.SOURCE)
        .containsEntry("org.opencontainers.image.licenses", OciLabels.LICENSES);
  }
}
