package io.hexgate.datapath.pin;

import io.hexgate.datapath.netns.NetNsException;
import io.hexgate.datapath.sys.LibC;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The BPF filesystem, where pinned maps and programs outlive the agent. It is not mounted by default on
 * every host; the agent mounts it (mount(2), no shell) and says so.
 */
public final class BpfFs {
  private static final Logger log = LoggerFactory.getLogger(BpfFs.class);
  public static final Path DEFAULT_MOUNT = Path.of("/sys/fs/bpf");

  private BpfFs() {}

  /** Whether a bpf filesystem is mounted exactly at {@code dir} (per this process's mount table). */
  public static boolean isMounted(Path dir) {
    String target = dir.toAbsolutePath().normalize().toString();
    try {
      List<String> mounts = Files.readAllLines(Path.of("/proc/self/mounts"));
      for (String line : mounts) {
        String[] f = line.split(" ");
        if (f.length >= 3 && f[2].equals("bpf") && unescape(f[1]).equals(target)) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      throw new NetNsException("cannot read /proc/self/mounts: " + e.getMessage(), e);
    }
  }

  /**
   * Mounts bpffs at {@code dir} unless one is there, and logs when it does. Returns true if it mounted.
   *
   * @throws NetNsException naming the directory and errno when the mount fails
   */
  public static boolean ensureMounted(Path dir) {
    if (isMounted(dir)) {
      return false;
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new NetNsException("cannot create the bpffs mount point " + dir + ": " + e.getMessage(), e);
    }
    if (LibC.get().mount("bpf", dir.toString(), "bpf", 0, null) != 0) {
      throw new NetNsException("cannot mount bpffs at " + dir + ": " + LibC.lastError());
    }
    log.info("bpffs was not mounted at {}: mounted it (mount -t bpf bpf {})", dir, dir);
    return true;
  }

  // /proc/self/mounts escapes space, tab, newline and backslash as octal
  private static String unescape(String s) {
    return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
  }
}
