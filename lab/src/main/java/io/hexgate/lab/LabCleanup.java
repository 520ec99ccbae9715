package io.hexgate.lab;

import io.hexgate.datapath.netns.ClusterNetwork;
import io.hexgate.datapath.netns.Commands;
import io.hexgate.datapath.netns.FileTrees;
import io.hexgate.datapath.netns.NetNs;
import io.hexgate.lab.cni.ResolvConf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Removes everything a lab with a given prefix made, whether it stopped cleanly or was killed: processes
 * still inside its network namespaces (a {@code lab exec} left running would keep a deleted namespace
 * alive), the namespaces themselves, root-namespace links, bpffs pin directories and /etc/netns entries.
 */
public final class LabCleanup {
  /** What a cleanup removed. */
  public record Removed(int processes, List<String> namespaces, List<String> links, List<String> pinDirs, List<String> etcDirs) {
    public boolean nothing() {
      return processes == 0 && namespaces.isEmpty() && links.isEmpty() && pinDirs.isEmpty() && etcDirs.isEmpty();
    }

    @Override
    public String toString() {
      return namespaces.size() + " network namespaces, " + links.size() + " links, " + pinDirs.size() + " bpffs pin directories, "
          + etcDirs.size() + " /etc/netns entries, " + processes + " processes";
    }
  }

  private LabCleanup() {}

  public static Removed clean(String prefix) {
    if (prefix == null || prefix.isEmpty()) {
      throw new IllegalArgumentException("an empty prefix would remove every namespace on the machine");
    }
    // containers first: runc stops their processes, and their overlays and namespaces are let go
    List<String> containers = io.hexgate.lab.container.Runc.deleteAll(prefix);
    List<String> namespaces = NetNs.list().stream().filter(n -> n.startsWith(prefix)).toList();
    int killed = killProcessesIn(namespaces) + containers.size();
    List<String> links = rootLinks(prefix);
    List<String> pins = pinDirs(prefix);
    List<String> etc = children(ResolvConf.ETC_NETNS, prefix);
    ClusterNetwork.cleanup(prefix);
    for (String installed : installedAgentPins()) {
      try {
        FileTrees.delete(ClusterNetwork.PIN_ROOT.resolve(installed));
      } catch (IOException e) {
        throw new IllegalStateException("cannot remove the pins under " + ClusterNetwork.PIN_ROOT.resolve(installed) + ": " + e.getMessage(), e);
      }
    }
    ResolvConf.deleteAll(prefix);
    return new Removed(killed, namespaces, links, pins, etc);
  }

  /** What {@link #clean} would remove now, without removing it. */
  public static Removed leftovers(String prefix) {
    List<String> namespaces = NetNs.list().stream().filter(n -> n.startsWith(prefix)).toList();
    return new Removed(processesIn(namespaces).size(), namespaces, rootLinks(prefix), pinDirs(prefix),
        children(ResolvConf.ETC_NETNS, prefix));
  }

  private static int killProcessesIn(List<String> namespaces) {
    List<Long> pids = processesIn(namespaces);
    for (long pid : pids) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    for (long pid : pids) {
      ProcessHandle.of(pid).ifPresent(p -> p.onExit().completeOnTimeout(p, 5, java.util.concurrent.TimeUnit.SECONDS).join());
    }
    return pids.size();
  }

  /** Processes (other than this one) whose network namespace is one of {@code namespaces}. */
  static List<Long> processesIn(List<String> namespaces) {
    Set<String> inodes = new HashSet<>();
    for (String ns : namespaces) {
      try {
        inodes.add("net:[" + Files.getAttribute(NetNs.path(ns), "unix:ino") + "]");
      } catch (IOException | UnsupportedOperationException e) {
        // gone meanwhile
      }
    }
    List<Long> pids = new ArrayList<>();
    if (inodes.isEmpty()) {
      return pids;
    }
    long self = ProcessHandle.current().pid();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.toList()) {
        String name = p.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit) || Long.parseLong(name) == self) {
          continue;
        }
        try {
          if (inodes.contains(Files.readSymbolicLink(p.resolve("ns/net")).toString())) {
            pids.add(Long.parseLong(name));
          }
        } catch (IOException e) {
          // exited, or a kernel thread
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc: " + e.getMessage(), e);
    }
    return pids;
  }

  private static List<String> rootLinks(String prefix) {
    List<String> names = new ArrayList<>();
    String out = Commands.run(Duration.ofSeconds(10), List.of("ip", "-o", "link", "show")).stdout();
    for (String line : out.split("\n")) {
      String[] parts = line.split(": ", 3);
      if (parts.length >= 2) {
        String n = parts[1];
        int at = n.indexOf('@');
        n = at >= 0 ? n.substring(0, at) : n;
        if (n.startsWith(prefix)) {
          names.add(n);
        }
      }
    }
    return names;
  }

  /**
   * The lab's pin directories: its own agents' (named after the node namespaces, so with the prefix) and
   * those of agents installed from their image, which pin under the node's name, as on any node.
   */
  private static List<String> pinDirs(String prefix) {
    List<String> all = new ArrayList<>(children(ClusterNetwork.PIN_ROOT, prefix));
    all.addAll(installedAgentPins());
    return all;
  }

  private static List<String> installedAgentPins() {
    return children(ClusterNetwork.PIN_ROOT, "").stream()
        .filter(n -> n.matches("node-\\d+")).toList(); // LabOptions.nodeName
  }

  private static List<String> children(Path dir, String prefix) {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(prefix)).sorted().toList();
    } catch (IOException e) {
      return List.of();
    }
  }
}
