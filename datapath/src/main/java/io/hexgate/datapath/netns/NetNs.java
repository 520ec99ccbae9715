package io.hexgate.datapath.netns;

import io.hexgate.datapath.sys.LibC;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * Named network namespaces, as {@code ip netns} keeps them under {@code /var/run/netns}. Creating and
 * deleting them shells out to {@code ip} (the lab and the tests do this, never the agent); entering one
 * is a {@code setns} on a dedicated thread ({@link NetNsThread}).
 */
public final class NetNs {
  public static final Path RUN_DIR = Path.of("/var/run/netns");

  private NetNs() {}

  /**
   * Why this process cannot make and enter namespaces (not Linux, not root, no {@code ip}), or empty when
   * it can. Tests skip with this message.
   */
  public static java.util.Optional<String> unavailable() {
    java.util.Optional<String> enter = unavailableToEnter();
    if (enter.isPresent()) {
      return enter;
    }
    boolean ip =
        Stream.of(System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":"))
            .anyMatch(d -> Files.isExecutable(Path.of(d, "ip")));
    if (!ip) {
      return java.util.Optional.of("the `ip` command (iproute2) is not on the PATH");
    }
    return java.util.Optional.empty();
  }

  /**
   * Why this process cannot enter namespaces that exist, its own included (not Linux, not root), or empty
   * when it can: all a node agent needs, which makes none (its image has no {@code ip}).
   */
  public static java.util.Optional<String> unavailableToEnter() {
    if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("linux")) {
      return java.util.Optional.of("network namespaces need Linux, this is " + System.getProperty("os.name"));
    }
    try {
      if (LibC.get().geteuid() != 0) {
        return java.util.Optional.of("network namespaces need root (CAP_SYS_ADMIN, CAP_NET_ADMIN); running as uid "
            + LibC.get().geteuid());
      }
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      return java.util.Optional.of("cannot call libc through jnr-ffi: " + e);
    }
    return java.util.Optional.empty();
  }

  public static Path path(String name) {
    if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
      throw new IllegalArgumentException("invalid network namespace name '" + name + "'");
    }
    return RUN_DIR.resolve(name);
  }

  public static boolean exists(String name) {
    return Files.exists(path(name));
  }

  /** The named namespaces, sorted. */
  public static List<String> list() {
    if (!Files.isDirectory(RUN_DIR)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(RUN_DIR)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new NetNsException("cannot list " + RUN_DIR + ": " + e.getMessage(), e);
    }
  }

  /**
   * Creates the namespace with its loopback up and IPv6 off (the datapath is IPv4-only: router and
   * neighbour solicitations would only show up as drops); fails if it exists.
   */
  public static void add(String name) {
    path(name);
    Commands.check("ip", "netns", "add", name);
    Commands.check("ip", "-n", name, "link", "set", "lo", "up");
    if (Files.isDirectory(Path.of("/proc/sys/net/ipv6"))) {
      sysctl(name, "net.ipv6.conf.all.disable_ipv6", "1");
      sysctl(name, "net.ipv6.conf.default.disable_ipv6", "1");
    }
  }

  /** Deletes the namespace (and so every interface in it); nothing happens if it does not exist. */
  public static void delete(String name) {
    if (exists(name)) {
      Commands.Result r = Commands.run(Duration.ofSeconds(30), List.of("ip", "netns", "delete", name));
      if (!r.ok() && exists(name)) {
        r.orThrow();
      }
    }
  }

  /** Deletes every namespace whose name starts with {@code prefix}; returns their names. */
  public static List<String> deleteAll(String prefix) {
    List<String> deleted = new ArrayList<>();
    for (String ns : list()) {
      if (ns.startsWith(prefix)) {
        delete(ns);
        deleted.add(ns);
      }
    }
    return deleted;
  }

  /** Runs {@code task} on a fresh thread inside the namespace and returns its result. */
  public static <T> T call(String name, Callable<T> task) throws Exception {
    try (NetNsThread t = NetNsThread.enter(name)) {
      return t.call(task);
    }
  }

  /** A task that returns nothing and may throw. */
  @FunctionalInterface
  public interface Task {
    void run() throws Exception;
  }

  /** Runs {@code task} on a fresh thread inside the namespace. */
  public static void run(String name, Task task) throws Exception {
    call(
        name,
        () -> {
          task.run();
          return null;
        });
  }

  /**
   * Runs a program inside the namespace ({@code ip netns exec}), to completion, at most {@code timeout}.
   * It sees its own {@code /sys}, without the process's bpffs: use {@link NetNsThread} for anything that
   * needs pinned objects.
   */
  public static Commands.Result exec(String name, Duration timeout, String... command) {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", name));
    cmd.addAll(List.of(command));
    return Commands.run(timeout, cmd);
  }

  /** Starts a long-running program inside the namespace (a server); the caller stops it. */
  public static Process start(String name, String... command) {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", name));
    cmd.addAll(List.of(command));
    try {
      return new ProcessBuilder(cmd)
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (IOException e) {
      throw new NetNsException("cannot start `" + String.join(" ", cmd) + "`: " + e.getMessage(), e);
    }
  }

  /** Sets a sysctl inside the namespace, e.g. {@code net.ipv4.ip_forward=1}. */
  public static void sysctl(String name, String key, String value) {
    exec(name, Duration.ofSeconds(10), "sysctl", "-qw", key + "=" + value).orThrow();
  }

  /**
   * The index of interface {@code ifname} in the calling thread's network namespace (call it on a
   * {@link NetNsThread}), or 0 if there is none.
   */
  public static int ifIndex(String ifname) {
    return LibC.get().if_nametoindex(ifname);
  }

  /** Name → index of every interface in the calling thread's network namespace. */
  public static java.util.Map<String, Integer> interfaces() {
    LibC libc = LibC.get();
    jnr.ffi.Pointer list = libc.if_nameindex();
    if (list == null) {
      throw new NetNsException("if_nameindex: " + LibC.lastError());
    }
    try {
      java.util.Map<String, Integer> all = new java.util.TreeMap<>();
      // {unsigned int; char *}: the pointer is aligned to its size, so each element is two pointers long
      int ptr = jnr.ffi.Runtime.getRuntime(libc).addressSize();
      for (long off = 0; ; off += 2L * ptr) {
        int index = list.getInt(off);
        if (index == 0) {
          return all;
        }
        all.put(list.getPointer(off + ptr).getString(0), index);
      }
    } finally {
      libc.if_freenameindex(list);
    }
  }
}
