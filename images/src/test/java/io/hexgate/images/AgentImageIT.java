package io.hexgate.images;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AgentImageIT {
  private static OciArchive image;

  @BeforeAll
  static void open() throws IOException {
    image = OciArchive.open(BuiltArchives.jvmImage("hexgate-agent"), "/app/lib/hexgate-datapath-.*\\.jar");
  }

  @Test
  void isTaggedAndRunsTheCliAsRoot() {
    assertThat(image.refName()).isEqualTo("ghcr.io/hexgate-io/hexgate-agent:0.1.0");
    assertThat(image.strings("Entrypoint")).startsWith("java", "-XX:-UsePerfData")
        .endsWith("-cp", "@/app/jib-classpath-file", "io.hexgate.cli.HexgateCli");
    assertThat(image.containerConfig().path("User").asText()).isEqualTo("0:0");
    assertThat(image.labels())
        .containsEntry("org.opencontainers.image.title", "hexgate-agent")
        .containsEntry("org.opencontainers.image.version", "0.1.0")
        .containsKeys("org.opencontainers.image.source", "org.opencontainers.image.licenses");
  }

  @Test
  void carriesTheCompiledBpfObjectInItsDatapathJar() throws IOException {
    String datapathJar = image.paths().stream().filter(p -> p.matches("/app/lib/hexgate-datapath-.*\\.jar"))
        .findFirst().orElseThrow(() -> new AssertionError("no datapath jar in /app/lib"));
    boolean found = false;
    long size = 0;
    try (ZipInputStream jar = new ZipInputStream(image.content(datapathJar))) {
      for (ZipEntry e; (e = jar.getNextEntry()) != null; ) {
        if (e.getName().equals(JvmImage.BPF_OBJECT)) {
          byte[] object = jar.readAllBytes();
          found = true;
          size = object.length;
          // an ELF object for the BPF machine (EM_BPF = 247)
          assertThat(object).startsWith(0x7f, 'E', 'L', 'F');
          assertThat(object[18] & 0xff).isEqualTo(247);
        }
      }
    }
    assertThat(found).as(JvmImage.BPF_OBJECT + " in " + datapathJar).isTrue();
    assertThat(size).isPositive();
  }

  @Test
  void hasLibbpfAndItsLibrariesAndJava() {
    for (String lib : new String[] {"libbpf.so.1", "libelf.so.1", "libz.so.1"}) {
      assertThat(image.resolve("/usr/lib/x86_64-linux-gnu/" + lib)).as(lib)
          .hasValueSatisfying(e -> assertThat(e.isFile()).isTrue());
    }
    // the dynamic loader is looked for under /lib64, a link into /usr in bookworm's merged layout
    assertThat(image.resolve("/lib64/ld-linux-x86-64.so.2")).hasValueSatisfying(e -> assertThat(e.isFile()).isTrue());
    assertThat(image.resolve("/usr/bin/java")).hasValueSatisfying(e -> assertThat(e.isFile()).isTrue());
  }

  @Test
  void sharesItsLayersWithTheOperatorImage() throws IOException {
    OciArchive operator = OciArchive.open(BuiltArchives.jvmImage("hexgate-operator"));
    assertThat(image.manifest().path("layers")).isEqualTo(operator.manifest().path("layers"));
  }
}
