package io.hexgate.datapath.sys;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;

/**
 * The few libc calls the agent needs without a JNI library of its own: entering a network namespace on
 * one thread, mounting bpffs, naming interfaces by index, a netlink socket, closing the descriptors
 * libbpf hands out, the kernel's clocks, and formatting libbpf's log. The calls marked {@code @SaveError}
 * save errno; read it with {@link #errno()}.
 */
public interface LibC {
  int CLONE_NEWNET = 0x40000000;
  int O_RDONLY = 0;
  int O_CLOEXEC = 0x80000;

  @SaveError
  int open(String path, int flags);

  @SaveError
  int close(int fd);

  /** Moves the calling thread (only it) into the namespace {@code fd} refers to. */
  @SaveError
  int setns(int fd, int nstype);

  @SaveError
  int mount(String source, String target, String fstype, long flags, Pointer data);

  /** The index of an interface in the calling thread's network namespace; 0 (errno set) if absent. */
  @SaveError
  int if_nametoindex(String name);

  /**
   * The interfaces of the calling thread's network namespace: an array of {unsigned if_index; char
   * *if_name} ended by index 0; free it with {@link #if_freenameindex}.
   */
  @SaveError
  Pointer if_nameindex();

  void if_freenameindex(Pointer ptr);

  @SaveError
  int socket(int domain, int type, int protocol);

  @SaveError
  long send(int fd, byte[] buf, @size_t long len, int flags);

  @SaveError
  long recv(int fd, @Out byte[] buf, @size_t long len, int flags);

  String strerror(int errnum);

  /** {@code ts}: struct timespec as two longs (seconds, nanoseconds) on a 64-bit target. */
  @SaveError
  int clock_gettime(int clockId, @Out long[] ts);

  /** {@code ts}: as in {@link #clock_gettime}, the clock's resolution. */
  @SaveError
  int clock_getres(int clockId, @Out long[] ts);

  /** Formats libbpf's log messages: {@code args} is the va_list libbpf hands its print callback. */
  int vsnprintf(Pointer buf, @size_t long size, Pointer format, Pointer args);

  int geteuid();

  /** The process's libc, loaded once. */
  static LibC get() {
    return Holder.LIBC;
  }

  /** errno of the calling thread's last libc call through {@link #get()}. */
  static int errno() {
    return jnr.ffi.Runtime.getRuntime(Holder.LIBC).getLastError();
  }

  /** "strerror (errno N)" of the calling thread's last call. */
  static String lastError() {
    return describe(errno());
  }

  /** "strerror (errno N)" of {@code errno}. */
  static String describe(int errno) {
    return Holder.LIBC.strerror(errno) + " (errno " + errno + ")";
  }

  final class Holder {
    static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");

    private Holder() {}
  }
}
