package io.hexgate.datapath.bpf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;
import jnr.ffi.Pointer;

/**
 * A consumer of a BPF_MAP_TYPE_RINGBUF map. The handler runs on the thread that calls {@link #poll} or
 * {@link #consume}, with a host-order buffer holding a copy of one record. Not thread-safe.
 */
public final class RingBuffer implements AutoCloseable {
  private final String name;
  private final LibBpf.RingBufferSample sample; // strong reference: libbpf keeps only the address
  private Pointer rb;

  public RingBuffer(BpfMap map, Consumer<ByteBuffer> handler) {
    this.name = map.name();
    this.sample = (ctx, data, size) -> {
      byte[] copy = new byte[(int) size];
      data.get(0, copy, 0, copy.length);
      handler.accept(ByteBuffer.wrap(copy).order(ByteOrder.nativeOrder()));
      return 0;
    };
    this.rb = Native.libbpf().ring_buffer__new(map.fd(), sample, null, null);
    if (rb == null) {
      throw new BpfException("ring_buffer__new", name, Native.errno());
    }
  }

  /** Waits up to {@code timeoutMs} for records and handles them; returns how many (EINTR counts as 0). */
  public int poll(int timeoutMs) {
    int n = Native.libbpf().ring_buffer__poll(rb, timeoutMs);
    return n == -4 ? 0 : BpfException.check(n, "ring_buffer__poll", name);
  }

  /** Handles every record available now, without waiting. */
  public int consume() {
    return BpfException.check(Native.libbpf().ring_buffer__consume(rb), "ring_buffer__consume", name);
  }

  @Override
  public void close() {
    if (rb != null) {
      Native.libbpf().ring_buffer__free(rb);
      rb = null;
    }
  }
}
