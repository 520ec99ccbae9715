package io.hexgate.datapath.abi;

import static io.hexgate.datapath.abi.Directions.DIR_EGRESS;
import static io.hexgate.datapath.abi.Directions.DIR_INGRESS;
import static io.hexgate.datapath.abi.NetOrder.getNet16;
import static io.hexgate.datapath.abi.NetOrder.getNet32;
import static io.hexgate.datapath.abi.NetOrder.putNet16;
import static io.hexgate.datapath.abi.NetOrder.putNet32;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;

public record CtKey(int saddr, int daddr, int sport, int dport, int protocol, int direction) {
  public static final Codec<CtKey> CODEC = new Codec<>() {
    public int size() {
      return 16;
    }

    public void write(CtKey k, ByteBuffer b) {
      putNet32(b, k.saddr);
      putNet32(b, k.daddr);
      putNet16(b, k.sport);
      putNet16(b, k.dport);
      b.put((byte) k.protocol).put((byte) k.direction).putShort((short) 0);
    }

    public CtKey read(ByteBuffer b) {
      CtKey k = new CtKey(getNet32(b), getNet32(b), getNet16(b), getNet16(b), Byte.toUnsignedInt(b.get()),
          Byte.toUnsignedInt(b.get()));
      b.getShort();
      return k;
    }
  };

  /**
   * The reversed tuple under the other hook's direction: for a packet, the key of the connection it
   * answers; for a connection, the key of its reply entry (lib/abi.h, reply_key). Egress and ingress only.
   */
  public CtKey reply() {
    return new CtKey(daddr, saddr, dport, sport, protocol, direction == DIR_EGRESS ? DIR_INGRESS : DIR_EGRESS);
  }
}
