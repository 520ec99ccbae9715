package io.hexgate.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The images really run: each is unpacked by umoci into a runtime bundle and run by runc as a pod would
 * run it, read-only root filesystem and /tmp a tmpfs (the emptyDir of the manifests).
 */
class ImageRunIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Path work;

  @BeforeEach
  void workDirectory() throws IOException {
    work = Files.createTempDirectory("hexgate-image-run");
  }

  /** rm, not JUnit's TempDir: an unpacked rootfs is full of absolute links, which it warns about one by one. */
  @AfterEach
  void removeWorkDirectory() throws Exception {
    HostTools.ok(List.of("rm", "-rf", "--one-file-system", work.toString()));
  }

  @Test
  void theOperatorImageRunsTheCliAsNonRootOnAReadOnlyRoot() throws Exception {
    Path bundle = unpack("hexgate-operator");
    ObjectNode process = (ObjectNode) JSON.readTree(bundle.resolve("config.json").toFile()).path("process");
    assertThat(process.path("user").path("uid").asInt()).isEqualTo(65532);

    HostTools.Result version = runc(bundle, cli("--version"));
    assertThat(version.stdout().strip()).isEqualTo("hexgate 0.1.0");
    HostTools.Result help = runc(bundle, cli("--help"));
    assertThat(help.stdout() + help.stderr()).contains("operator", "agent");
    HostTools.Result java = runc(bundle, List.of("java", "-version"));
    assertThat(java.stderr()).contains("openjdk version \"17.").contains("Debian");
  }

  @Test
  void theAgentImageRunsTheCliAsRoot() throws Exception {
    Path bundle = unpack("hexgate-agent");
    HostTools.Result version = runc(bundle, cli("--version"));
    assertThat(version.stdout().strip()).isEqualTo("hexgate 0.1.0");
  }

  private static List<String> cli(String... args) {
    List<String> command = new ArrayList<>(JvmImage.entrypoint());
    command.addAll(List.of(args));
    return command;
  }

  private Path unpack(String name) throws Exception {
    Path tar = BuiltArchives.jvmImage(name);
    assumeTrue(BuiltArchives.root(), "running an image needs root (runc)");
    assumeTrue(HostTools.has("umoci") && HostTools.has("runc"), "no umoci/runc: run scripts/ensure-host-tools.sh as root");
    Path layout = Files.createDirectories(work.resolve(name + "-layout"));
    HostTools.ok(List.of("tar", "-xf", tar.toString(), "-C", layout.toString()));
    Path bundle = work.resolve(name + "-bundle");
    HostTools.ok(List.of("umoci", "unpack", "--image", layout + ":" + OciArchive.open(tar).refName(), bundle.toString()));
    return bundle;
  }

  /** Runs {@code args} in the unpacked image with runc: read-only root, tmpfs /tmp, no terminal. */
  private static HostTools.Result runc(Path bundle, List<String> args) throws Exception {
    ObjectNode config = (ObjectNode) JSON.readTree(bundle.resolve("config.json").toFile());
    ObjectNode process = (ObjectNode) config.path("process");
    process.put("terminal", false);
    ArrayNode argv = process.putArray("args");
    args.forEach(argv::add);
    ((ObjectNode) config.path("root")).put("readonly", true);
    ArrayNode mounts = (ArrayNode) config.path("mounts");
    mounts.removeIf(m -> m.path("destination").asText().equals("/tmp"));
    ObjectNode tmp = mounts.addObject().put("destination", "/tmp").put("type", "tmpfs").put("source", "tmpfs");
    tmp.putArray("options").add("nosuid").add("nodev").add("mode=1777");
    JSON.writeValue(bundle.resolve("config.json").toFile(), config);

    String id = "hexgate-image-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    try {
      HostTools.Result r = HostTools.run(List.of("runc", "run", "--bundle", bundle.toString(), id));
      assertThat(r.exit()).as("runc run %s: %s", args, r.stderr()).isZero();
      return r;
    } finally {
      HostTools.run(List.of("runc", "delete", "--force", id));
    }
  }
}
