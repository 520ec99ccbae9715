package io.hexgate.lab.container;

import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.SecurityContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The OCI runtime spec (config.json) of one container, with the defaults containerd gives a Kubernetes
 * container: new mount, PID, UTS and IPC namespaces, the pod's network namespace joined, containerd's
 * default capabilities (effective only for root), runc's masked and read-only paths, {@code /sys} read-only,
 * no new privileges unless escalation is allowed, the lab's own rlimits; privileged containers get every capability, a writable
 * {@code /sys} and no masks. No seccomp profile (Kubernetes' default is Unconfined), no AppArmor, no
 * resource limits.
 */
final class RuntimeSpec {
  /** containerd's default capability set (what a container gets when its security context names none). */
  static final List<String> DEFAULT_CAPABILITIES = List.of("CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW",
      "SETGID", "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE");
  /** Every capability the kernel of this runc knows, for privileged containers and {@code add: [ALL]}. */
  static final List<String> ALL_CAPABILITIES = List.of("CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
      "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK",
      "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
      "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE",
      "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE");
  private static final List<String> MASKED = List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
      "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi");
  private static final List<String> READ_ONLY = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

  /** A bind mount into the container. */
  record Bind(String destination, Path source, boolean readOnly) {}

  /** Who the process runs as. */
  record User(long uid, long gid, List<Long> additionalGids) {}

  private RuntimeSpec() {}

  static Map<String, Object> build(
      Path rootfs, ContainerCommand command, String cwd, User user, SecurityContext sc, String hostname, Path netns, List<Bind> binds) {
    boolean privileged = sc != null && Boolean.TRUE.equals(sc.getPrivileged());
    boolean readOnlyRoot = sc != null && Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem());
    boolean escalation = privileged || sc == null || sc.getAllowPrivilegeEscalation() == null || sc.getAllowPrivilegeEscalation();
    List<String> caps = capabilities(sc == null ? null : sc.getCapabilities(), privileged).stream().map(c -> "CAP_" + c).toList();
    List<String> active = user.uid() == 0 ? caps : List.of(); // a non-root process starts with none in effect

    Map<String, Object> process = new LinkedHashMap<>();
    process.put("terminal", false);
    process.put("user", Map.of("uid", user.uid(), "gid", user.gid(), "additionalGids", user.additionalGids()));
    process.put("args", command.args());
    List<String> env = new ArrayList<>();
    command.env().forEach((k, v) -> env.add(k + "=" + v));
    process.put("env", env);
    process.put("cwd", cwd.isEmpty() ? "/" : cwd);
    process.put("capabilities", Map.of("bounding", caps, "effective", active, "permitted", active, "inheritable", List.of(), "ambient", List.of()));
    process.put("noNewPrivileges", !escalation);

    List<Map<String, Object>> mounts = new ArrayList<>();
    mounts.add(mount("/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev")));
    mounts.add(mount("/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k")));
    mounts.add(mount("/dev/pts", "devpts", "devpts", List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")));
    mounts.add(mount("/dev/shm", "tmpfs", "shm", List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")));
    mounts.add(mount("/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev")));
    mounts.add(mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", privileged ? "rw" : "ro")));
    mounts.add(mount("/sys/fs/cgroup", "cgroup", "cgroup", List.of("nosuid", "noexec", "nodev", "relatime", privileged ? "rw" : "ro")));
    for (Bind b : binds) {
      mounts.add(mount(b.destination(), "bind", b.source().toString(), List.of("rbind", "rprivate", b.readOnly() ? "ro" : "rw")));
    }

    Map<String, Object> linux = new LinkedHashMap<>();
    linux.put("namespaces", List.of(
        Map.of("type", "pid"), Map.of("type", "ipc"), Map.of("type", "uts"), Map.of("type", "mount"),
        Map.of("type", "network", "path", netns.toString())));
    if (privileged) {
      linux.put("resources", Map.of("devices", List.of(Map.of("allow", true, "access", "rwm"))));
    } else {
      linux.put("resources", Map.of("devices", List.of(Map.of("allow", false, "access", "rwm"))));
      linux.put("maskedPaths", MASKED);
      linux.put("readonlyPaths", READ_ONLY);
    }

    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("ociVersion", "1.0.2");
    spec.put("process", process);
    spec.put("root", Map.of("path", rootfs.toString(), "readonly", readOnlyRoot));
    spec.put("hostname", hostname);
    spec.put("mounts", mounts);
    spec.put("linux", linux);
    return spec;
  }

  /** containerd's defaults, or all when privileged, then {@code drop} and {@code add} ("ALL" in either) as the CRI applies them. */
  static List<String> capabilities(Capabilities c, boolean privileged) {
    if (privileged) {
      return ALL_CAPABILITIES;
    }
    Set<String> set = new LinkedHashSet<>(DEFAULT_CAPABILITIES);
    List<String> add = c == null || c.getAdd() == null ? List.of() : c.getAdd().stream().map(RuntimeSpec::capName).toList();
    List<String> drop = c == null || c.getDrop() == null ? List.of() : c.getDrop().stream().map(RuntimeSpec::capName).toList();
    if (add.contains("ALL")) {
      set.addAll(ALL_CAPABILITIES);
    } else {
      set.addAll(add);
    }
    if (drop.contains("ALL")) {
      set.clear();
      if (!add.contains("ALL")) {
        set.addAll(add);
      }
    } else {
      drop.forEach(set::remove);
    }
    return List.copyOf(set);
  }

  private static String capName(String c) {
    String u = c.trim().toUpperCase(java.util.Locale.ROOT);
    return u.startsWith("CAP_") ? u.substring(4) : u;
  }

  private static Map<String, Object> mount(String destination, String type, String source, List<String> options) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("destination", destination);
    m.put("type", type);
    m.put("source", source);
    m.put("options", options);
    return m;
  }
}
