package io.hexgate.datapath.bpf;

import io.hexgate.datapath.sys.LibC;
import java.util.OptionalInt;
import jnr.ffi.Pointer;

/**
 * tc (clsact) attachment through libbpf's bpf_tc_* (netlink under the hood, no `tc` binary). Every call
 * works in the network namespace of the calling thread.
 */
public final class Tc {
  private Tc() {}

  /** enum bpf_tc_attach_point */
  public enum Hook {
    INGRESS(1),
    EGRESS(2);

    final int value;

    Hook(int value) {
      this.value = value;
    }
  }

  private static final int BPF_TC_F_REPLACE = 1;
  private static final int EEXIST = 17;
  private static final int ENOENT = 2;
  // struct bpf_tc_hook
  private static final int HOOK_SIZE = 24;
  // struct bpf_tc_opts
  private static final int OPTS_SIZE = 32;
  private static final int OPTS_PROG_FD = 8;
  private static final int OPTS_FLAGS = 12;
  private static final int OPTS_PROG_ID = 16;
  private static final int OPTS_HANDLE = 20;
  private static final int OPTS_PRIORITY = 24;

  private static Pointer hook(int ifindex, int attachPoint) {
    Pointer h = Native.allocate(HOOK_SIZE);
    h.putLong(0, HOOK_SIZE);
    h.putInt(8, ifindex);
    h.putInt(12, attachPoint);
    return h;
  }

  private static Pointer opts(int progFd, int flags, int handle, int priority) {
    Pointer o = Native.allocate(OPTS_SIZE);
    o.putLong(0, OPTS_SIZE);
    o.putInt(OPTS_PROG_FD, progFd);
    o.putInt(OPTS_FLAGS, flags);
    o.putInt(OPTS_HANDLE, handle);
    o.putInt(OPTS_PRIORITY, priority);
    return o;
  }

  /** Adds the clsact qdisc to the interface; one that is already there is fine. */
  public static void createClsact(int ifindex) {
    int ret = Native.libbpf().bpf_tc_hook_create(hook(ifindex, Hook.INGRESS.value));
    if (ret != -EEXIST) {
      BpfException.check(ret, "bpf_tc_hook_create", "ifindex " + ifindex);
    }
  }

  /** Removes the clsact qdisc and with it every filter on both hooks; a missing one is fine. */
  public static void destroyClsact(int ifindex) {
    int ret = Native.libbpf().bpf_tc_hook_destroy(hook(ifindex, Hook.INGRESS.value | Hook.EGRESS.value));
    if (ret != -ENOENT) {
      BpfException.check(ret, "bpf_tc_hook_destroy", "ifindex " + ifindex);
    }
  }

  /**
   * Attaches {@code program} as a direct-action filter with the given handle and priority (both ≥ 1),
   * replacing the filter there when {@code replace}: with a fixed handle and priority, re-attaching a new
   * program swaps it atomically. Returns the kernel's program id.
   */
  public static int attach(int ifindex, Hook hook, BpfProgram program, int handle, int priority, boolean replace) {
    Pointer o = opts(program.fd(), replace ? BPF_TC_F_REPLACE : 0, handle, priority);
    BpfException.check(Native.libbpf().bpf_tc_attach(hook(ifindex, hook.value), o), "bpf_tc_attach",
        program.name() + " on ifindex " + ifindex + " " + hook);
    return o.getInt(OPTS_PROG_ID);
  }

  /**
   * Attaches the program behind {@code progFd} (e.g. one opened from its pin) as a direct-action filter,
   * failing when a filter with this handle and priority is there already. Returns the kernel's program id.
   */
  public static int attachFd(int ifindex, Hook hook, int progFd, String name, int handle, int priority) {
    Pointer o = opts(progFd, 0, handle, priority);
    BpfException.check(Native.libbpf().bpf_tc_attach(hook(ifindex, hook.value), o), "bpf_tc_attach",
        name + " on ifindex " + ifindex + " " + hook);
    return o.getInt(OPTS_PROG_ID);
  }

  /** Removes the filter; false when there was none. */
  public static boolean detach(int ifindex, Hook hook, int handle, int priority) {
    int ret = Native.libbpf().bpf_tc_detach(hook(ifindex, hook.value), opts(0, 0, handle, priority));
    if (ret == -ENOENT) {
      return false;
    }
    BpfException.check(ret, "bpf_tc_detach", "ifindex " + ifindex + " " + hook);
    return true;
  }

  /** The id of the program attached with this handle and priority, if any. */
  public static OptionalInt query(int ifindex, Hook hook, int handle, int priority) {
    Pointer o = opts(0, 0, handle, priority);
    int ret = Native.libbpf().bpf_tc_query(hook(ifindex, hook.value), o);
    if (ret == -ENOENT || ret == -22 /* EINVAL: no clsact qdisc */) {
      return OptionalInt.empty();
    }
    BpfException.check(ret, "bpf_tc_query", "ifindex " + ifindex + " " + hook);
    return OptionalInt.of(o.getInt(OPTS_PROG_ID));
  }

  /** struct bpf_prog_info up to its name (linux/bpf.h): char name[16] at offset 64. */
  private static final int PROG_INFO_NAME_END = 80;

  /** The kernel's name of program {@code id} (at most 15 characters), as {@link #query} finds it; empty when it is gone. */
  public static java.util.Optional<String> programName(int id) {
    int fd = Native.libbpf().bpf_prog_get_fd_by_id(id);
    if (fd < 0) {
      return java.util.Optional.empty();
    }
    try {
      Pointer info = Native.allocate(PROG_INFO_NAME_END);
      Pointer len = Native.allocate(4);
      len.putInt(0, PROG_INFO_NAME_END);
      BpfException.check(Native.libbpf().bpf_obj_get_info_by_fd(fd, info, len), "bpf_obj_get_info_by_fd", "program " + id);
      return java.util.Optional.of(info.getString(64, 16, java.nio.charset.StandardCharsets.US_ASCII));
    } finally {
      LibC.get().close(fd);
    }
  }
}
