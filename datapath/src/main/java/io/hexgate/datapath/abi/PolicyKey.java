package io.hexgate.datapath.abi;

import static io.hexgate.datapath.abi.NetOrder.getNet16;
import static io.hexgate.datapath.abi.NetOrder.putNet16;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;

/**
 * A hg_policy key: {@code prefix} is {@link #POLICY_TABLE}, {@link #POLICY_PROTO} or the port prefix bits
 * (1..16) of a port block, whose {@code port} is masked to them.
 */
public record PolicyKey(int endpoint, int identity, int direction, int protocol, int prefix, int port) {
  public static final int POLICY_TABLE = 255;
  public static final int POLICY_PROTO = 254;

  public static final Codec<PolicyKey> CODEC = new Codec<>() {
    public int size() {
      return 16;
    }

    public void write(PolicyKey k, ByteBuffer b) {
      b.putInt(k.endpoint).putInt(k.identity);
      b.put((byte) k.direction).put((byte) k.protocol).put((byte) k.prefix).put((byte) 0);
      putNet16(b, k.port);
      b.putShort((short) 0);
    }

    public PolicyKey read(ByteBuffer b) {
      int endpoint = b.getInt();
      int identity = b.getInt();
      int direction = Byte.toUnsignedInt(b.get());
      int protocol = Byte.toUnsignedInt(b.get());
      int prefix = Byte.toUnsignedInt(b.get());
      b.get();
      int port = getNet16(b);
      b.getShort();
      return new PolicyKey(endpoint, identity, direction, protocol, prefix, port);
    }
  };

  public static PolicyKey table(int endpoint, int identity, int direction) {
    return new PolicyKey(endpoint, identity, direction, 0, POLICY_TABLE, 0);
  }

  public static PolicyKey proto(int endpoint, int identity, int direction, int protocol) {
    return new PolicyKey(endpoint, identity, direction, protocol, POLICY_PROTO, 0);
  }

  public static PolicyKey block(int endpoint, int identity, int direction, int protocol, int bits, int port) {
    return new PolicyKey(endpoint, identity, direction, protocol, bits, port & (0xffff << (16 - bits)) & 0xffff);
  }

  /** Writing order among a table's entries: blocks, then protocol entries, then the table entry. */
  public int rank() {
    return prefix == POLICY_TABLE ? 2 : prefix == POLICY_PROTO ? 1 : 0;
  }
}
