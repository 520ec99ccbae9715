package io.hexgate.lab.container;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What a hostPath volume names on a lab node. Lab nodes are network namespaces on one machine: the kernel's
 * filesystems are the machine's ({@code /sys}, bpffs at {@code /sys/fs/bpf} where the agents pin under
 * {@code hexgate/<node namespace>}, {@code /sys/fs/cgroup}, {@code /proc}, {@code /dev}, {@code /lib/modules},
 * {@code /run/netns}); every other path is the node's own, a directory under {@code root}, so that two
 * nodes never share what they keep in, say, {@code /var/lib/hexgate}.
 */
public final class NodeFilesystem {
  static final List<String> MACHINE_PATHS = List.of("/sys", "/proc", "/dev", "/lib/modules", "/run/netns", "/var/run/netns");

  private final Path root;

  /** @param root the node's own files, standing in for its root filesystem */
  public NodeFilesystem(Path root) {
    this.root = root;
  }

  /** The machine's path for {@code path} on this node, made first when {@code type} says so. */
  Path hostPath(String path, String type) throws IOException {
    Path abs = Path.of(path).normalize();
    if (!abs.isAbsolute()) {
      throw new IllegalStateException("hostPath " + path + " is not absolute");
    }
    boolean machine = MACHINE_PATHS.stream().anyMatch(m -> abs.toString().equals(m) || abs.startsWith(m + "/"));
    Path p = machine ? abs : root.resolve(abs.toString().substring(1));
    String t = type == null ? "" : type;
    switch (t) {
      case "DirectoryOrCreate" -> Files.createDirectories(p);
      case "FileOrCreate" -> {
        Files.createDirectories(p.getParent());
        if (!Files.exists(p)) {
          Files.createFile(p);
        }
      }
      case "Directory" -> require(Files.isDirectory(p), path, "a directory");
      case "File" -> require(Files.isRegularFile(p), path, "a file");
      case "Socket", "CharDevice", "BlockDevice" -> require(Files.exists(p), path, "a " + t);
      default -> {
        // "" checks nothing, as a kubelet: a missing directory is made when bound
        if (!Files.exists(p)) {
          Files.createDirectories(p);
        }
      }
    }
    return p;
  }

  private static void require(boolean ok, String path, String what) {
    if (!ok) {
      throw new IllegalStateException("hostPath " + path + " is not " + what + " on the node");
    }
  }
}
