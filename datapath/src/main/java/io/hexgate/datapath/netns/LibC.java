package io.hexgate.datapath.netns;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.SaveError;

/**
 * The few libc calls the agent needs without a JNI library of its own: entering a network namespace on
 * one thread, mounting bpffs, and naming interfaces by index. Every call saves errno; read it with
 * {@link #errno()}.
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

  String strerror(int errnum);

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
    int e = errno();
    return Holder.LIBC.strerror(e) + " (errno " + e + ")";
  }

  final class Holder {
    static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");

    private Holder() {}
  }
}
