package io.hexgate.datapath.bpf;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;

/** The few libc calls the BPF layer needs. */
public interface LibC {
  String strerror(int errno);

  int close(int fd);

  /** {@code ts}: struct timespec as two longs (seconds, nanoseconds) on a 64-bit target. */
  int clock_gettime(int clockId, @Out long[] ts);

  /** {@code ts}: as in {@link #clock_gettime}, the clock's resolution. */
  int clock_getres(int clockId, @Out long[] ts);

  /** Formats libbpf's log messages: {@code args} is the va_list libbpf hands its print callback. */
  int vsnprintf(Pointer buf, @size_t long size, Pointer format, Pointer args);
}
