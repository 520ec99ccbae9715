package io.hexgate.datapath.enforce;

import io.hexgate.datapath.bpf.BpfException;
import io.hexgate.datapath.bpf.Native;
import io.hexgate.datapath.bpf.Tc;
import io.hexgate.datapath.sys.LibC;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The filter a pod interface carries before its endpoint's policy is in force: {@code not_ready_from_pod}
 * and {@code not_ready_to_pod} drop everything but ARP (reason 203). The node's agent pins both in its pin
 * directory; the CNI calls {@link #attachPinned} on the host side of a new veth before bringing it up, so
 * the pod never has a moment without a filter, and the agent replaces them with {@code from_pod} /
 * {@code to_pod} (same handle and priority: atomically) once it applied the pod's endpoint.
 */
public final class NotReadyFilter {
  /** Program names in the BPF object; pinned as {@code prog_<name>}. */
  public static final String FROM_POD = "not_ready_from_pod";
  public static final String TO_POD = "not_ready_to_pod";

  private NotReadyFilter() {}

  /** Where the agent pins a program of {@code pinDir}'s node. */
  public static Path pin(Path pinDir, String program) {
    return pinDir.resolve("prog_" + program);
  }

  /** Whether the node's agent has pinned both not_ready programs under {@code pinDir}: {@link #attachPinned} can work. */
  public static boolean pinned(Path pinDir) {
    return Files.exists(pin(pinDir, TO_POD)) && Files.exists(pin(pinDir, FROM_POD));
  }

  /**
   * Attaches the node's pinned not_ready programs to both hooks of {@code ifindex} (creating the clsact
   * qdisc), leaving a Hexgate filter already on a hook alone (the agent's, which knows better). Call on a
   * thread inside the node's network namespace.
   *
   * @throws BpfException when the node has no pinned not_ready program (no agent has run on it): the
   *     caller must then not start the pod, which would run unfiltered
   */
  public static void attachPinned(Path pinDir, int ifindex) {
    int toPod = open(pinDir, TO_POD);
    try {
      int fromPod = open(pinDir, FROM_POD);
      try {
        Tc.createClsact(ifindex);
        // to_pod first, as the agent does: nothing reaches the pod before its own packets are filtered
        attachUnlessPresent(ifindex, Tc.Hook.EGRESS, toPod, TO_POD);
        attachUnlessPresent(ifindex, Tc.Hook.INGRESS, fromPod, FROM_POD);
      } finally {
        closeFd(fromPod);
      }
    } finally {
      closeFd(toPod);
    }
  }

  /**
   * Whether the agent has put the endpoint's own filters on {@code ifindex}: both hooks carry a Hexgate
   * filter (its handle and priority) and neither is a not_ready program. The agent attaches them only once
   * the endpoint's state is written to its maps, so this is the kernel's own word that the pod's datapath is
   * in force, readable outside the agent's process (a CNI's readiness gate). Call on a thread inside the
   * node's network namespace.
   */
  public static boolean lifted(int ifindex) {
    for (Tc.Hook hook : Tc.Hook.values()) {
      var id = Tc.query(ifindex, hook, TcAttachments.HANDLE, TcAttachments.PRIORITY);
      if (id.isEmpty() || Tc.programName(id.getAsInt()).map(n -> n.startsWith("not_ready")).orElse(true)) {
        return false;
      }
    }
    return true;
  }

  private static int open(Path pinDir, String program) {
    Path pin = pin(pinDir, program);
    if (!Files.exists(pin)) {
      throw new BpfException("no " + program + " program pinned at " + pin
          + ": the node's agent has not loaded its datapath, and a pod interface must not come up unfiltered");
    }
    int fd = Native.libbpf().bpf_obj_get(pin.toString());
    if (fd < 0) {
      throw new BpfException("bpf_obj_get", pin.toString(), fd);
    }
    return fd;
  }

  private static void attachUnlessPresent(int ifindex, Tc.Hook hook, int fd, String name) {
    if (Tc.query(ifindex, hook, TcAttachments.HANDLE, TcAttachments.PRIORITY).isPresent()) {
      return;
    }
    Tc.attachFd(ifindex, hook, fd, name, TcAttachments.HANDLE, TcAttachments.PRIORITY);
  }

  private static void closeFd(int fd) {
    LibC.get().close(fd);
  }
}
