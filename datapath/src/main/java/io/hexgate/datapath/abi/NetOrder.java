package io.hexgate.datapath.abi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Addresses and ports in network order, whatever the buffer's order (lib/abi.h keeps them as in the
 * packet). An address is an int whose value reads a.b.c.d from the top byte down (192.0.2.1 = 0xC0000201).
 */
final class NetOrder {
  private NetOrder() {}

  static void putNet32(ByteBuffer b, int v) {
    b.putInt(b.order() == ByteOrder.BIG_ENDIAN ? v : Integer.reverseBytes(v));
  }

  static int getNet32(ByteBuffer b) {
    int v = b.getInt();
    return b.order() == ByteOrder.BIG_ENDIAN ? v : Integer.reverseBytes(v);
  }

  static void putNet16(ByteBuffer b, int v) {
    short s = (short) v;
    b.putShort(b.order() == ByteOrder.BIG_ENDIAN ? s : Short.reverseBytes(s));
  }

  static int getNet16(ByteBuffer b) {
    short s = b.getShort();
    return Short.toUnsignedInt(b.order() == ByteOrder.BIG_ENDIAN ? s : Short.reverseBytes(s));
  }
}
