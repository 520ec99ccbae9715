package io.hexgate.images;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.LogEvent;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.ImageFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * An image that runs the Hexgate CLI on the Debian base; its arguments ({@code operator ...}, {@code agent
 * ...}) choose what it is. The operator's and the agent's differ only in user and labels, so their
 * layers are the same blobs.
 *
 * <p>Both run with a read-only root filesystem: no perf data file ({@code -XX:-UsePerfData}), and the
 * only writes (jnr-ffi's and Netty's native stubs, extracted at start) go to {@code /tmp}, which the pod
 * must mount as an emptyDir.
 */
record JvmImage(String name, String version, String user, String description) {
  static final String REGISTRY = "ghcr.io/hexgate-io/";
  /** The compiled tc programs, inside the datapath jar, which the agent loads through libbpf. */
  static final String BPF_OBJECT = "io/hexgate/datapath/bpf/hexgate.bpf.o";
  static final AbsoluteUnixPath APP = AbsoluteUnixPath.get("/app");
  static final String CLASSPATH_FILE = "/app/jib-classpath-file";
  static final List<String> JVM_FLAGS = List.of(
      "-XX:-UsePerfData", "-XX:+ExitOnOutOfMemoryError", "-XX:MaxRAMPercentage=75", "-Djava.io.tmpdir=/tmp");
  /** The non-root user of the base's /etc/passwd. */
  static final String NONROOT = "65532:65532";

  static JvmImage operator(String version) {
    return new JvmImage("hexgate-operator", version, NONROOT,
        "Hexgate operator: identity-aware network policy for Kubernetes, and the node agents' deployer");
  }

  /** Root: loading and attaching BPF programs needs CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN. */
  static JvmImage agent(String version) {
    return new JvmImage("hexgate-agent", version, "0:0",
        "Hexgate node agent: enforces Hexgate's policies with eBPF on each node");
  }

  String reference() {
    return REGISTRY + name + ":" + version;
  }

  String archiveName() {
    return name + ".oci.tar";
  }

  static List<String> entrypoint() {
    List<String> entrypoint = new ArrayList<>();
    entrypoint.add("java");
    entrypoint.addAll(JVM_FLAGS);
    entrypoint.addAll(List.of("-cp", "@" + CLASSPATH_FILE, CliApplication.MAIN_CLASS));
    return entrypoint;
  }

  void build(Path base, CliApplication app, Path out, Path cache, ImageLog log) throws Exception {
    long started = System.nanoTime();
    Path archive = out.resolve(archiveName());
    Path generated = Files.createDirectories(cache.resolve("generated"));
    List<String> classpath = new ArrayList<>();
    classpath.add(APP.resolve(app.jar().getFileName().toString()).toString());
    FileEntriesLayer.Builder releases = FileEntriesLayer.builder().setName("dependencies");
    FileEntriesLayer.Builder snapshots = FileEntriesLayer.builder().setName("snapshot dependencies");
    for (Path library : app.libraries()) {
      AbsoluteUnixPath target = APP.resolve("lib").resolve(library.getFileName().toString());
      (library.getFileName().toString().contains("-SNAPSHOT") ? snapshots : releases).addEntry(library, target);
      classpath.add(target.toString());
    }
    Path classpathFile = Files.writeString(generated.resolve("jib-classpath-file"), String.join(":", classpath),
        StandardCharsets.UTF_8);
    Path mainClassFile = Files.writeString(generated.resolve("jib-main-class-file"), CliApplication.MAIN_CLASS,
        StandardCharsets.UTF_8);
    FileEntriesLayer application = FileEntriesLayer.builder().setName("application")
        .addEntry(app.jar(), APP.resolve(app.jar().getFileName().toString()))
        .addEntry(classpathFile, AbsoluteUnixPath.get(CLASSPATH_FILE))
        .addEntry(mainClassFile, APP.resolve("jib-main-class-file"))
        .build();

    JibContainer container = Jib.from("tar://" + base)
        .addFileEntriesLayer(releases.build())
        .addFileEntriesLayer(snapshots.build())
        .addFileEntriesLayer(application)
        .setEntrypoint(entrypoint())
        .setProgramArguments(List.of())
        .setUser(user)
        .setLabels(OciLabels.of(name, version, description))
        .setFormat(ImageFormat.OCI)
        .setCreationTime(Instant.EPOCH)
        .containerize(Containerizer.to(TarImage.at(archive).named(reference()))
            .setOfflineMode(true)
            .setToolName("hexgate-images")
            .setBaseImageLayersCache(cache.resolve("base-layers"))
            .setApplicationLayersCache(cache.resolve("layers"))
            .addEventHandler(LogEvent.class, log::jib));
    log.info(String.format("%s %s: %s, %d MB, %s, user %s, in %d ms", archive.getFileName(), reference(),
        container.getDigest(), Files.size(archive) >> 20, layerSummary(app), user,
        (System.nanoTime() - started) / 1_000_000));
  }

  private static String layerSummary(CliApplication app) {
    Map<Boolean, Long> counts = app.libraries().stream()
        .collect(Collectors.partitioningBy(p -> p.getFileName().toString().contains("-SNAPSHOT"), Collectors.counting()));
    return counts.get(false) + " release and " + counts.get(true) + " snapshot jars";
  }
}
