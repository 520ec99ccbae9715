package io.hexgate.datapath.bpf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The binary form of a map key or value: {@link #size()} bytes, written and read in host order (x86_64:
 * little-endian); fields the C header declares big-endian are written with explicit byte swaps.
 */
public interface Codec<T> {
  int size();

  void write(T value, ByteBuffer out);

  T read(ByteBuffer in);

  default byte[] encode(T value) {
    ByteBuffer b = ByteBuffer.allocate(size()).order(ByteOrder.nativeOrder());
    write(value, b);
    return b.array();
  }

  default T decode(byte[] bytes) {
    if (bytes.length < size()) {
      throw new IllegalArgumentException("need " + size() + " bytes, got " + bytes.length);
    }
    return read(ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder()));
  }
}
