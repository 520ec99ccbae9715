package io.hexgate.datapath.bpf;

import jnr.ffi.Pointer;
import jnr.ffi.types.size_t;

/** The few libc calls the BPF layer needs. */
public interface LibC {
  String strerror(int errno);

  int close(int fd);

  /** Formats libbpf's log messages: {@code args} is the va_list libbpf hands its print callback. */
  int vsnprintf(Pointer buf, @size_t long size, Pointer format, Pointer args);
}
