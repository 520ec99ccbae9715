package io.hexgate.datapath.abi;

import static io.hexgate.datapath.abi.NetOrder.getNet16;
import static io.hexgate.datapath.abi.NetOrder.getNet32;
import static io.hexgate.datapath.abi.NetOrder.putNet16;
import static io.hexgate.datapath.abi.NetOrder.putNet32;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;

/** A fragmented datagram: addresses as it arrived, IP id, protocol. */
public record FragKey(int saddr, int daddr, int id, int protocol) {
  public static final Codec<FragKey> CODEC = new Codec<>() {
    public int size() {
      return 12;
    }

    public void write(FragKey k, ByteBuffer b) {
      putNet32(b, k.saddr);
      putNet32(b, k.daddr);
      putNet16(b, k.id);
      b.put((byte) k.protocol).put((byte) 0);
    }

    public FragKey read(ByteBuffer b) {
      FragKey k = new FragKey(getNet32(b), getNet32(b), getNet16(b), Byte.toUnsignedInt(b.get()));
      b.get();
      return k;
    }
  };
}
