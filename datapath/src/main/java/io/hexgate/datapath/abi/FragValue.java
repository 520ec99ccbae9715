package io.hexgate.datapath.abi;

import static io.hexgate.datapath.abi.NetOrder.getNet16;
import static io.hexgate.datapath.abi.NetOrder.putNet16;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;

/** The ports its first fragment was forwarded with. */
public record FragValue(int sport, int dport) {
  public static final Codec<FragValue> CODEC = new Codec<>() {
    public int size() {
      return 4;
    }

    public void write(FragValue v, ByteBuffer b) {
      putNet16(b, v.sport);
      putNet16(b, v.dport);
    }

    public FragValue read(ByteBuffer b) {
      return new FragValue(getNet16(b), getNet16(b));
    }
  };
}
