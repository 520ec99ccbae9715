package io.hexgate.datapath.abi;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;

public record PolicyValue(int verdict, int matchType, int ruleId, int prefixes) {
  public PolicyValue(int verdict, int matchType, int ruleId) {
    this(verdict, matchType, ruleId, 0);
  }

  public static final Codec<PolicyValue> CODEC = new Codec<>() {
    public int size() {
      return 12;
    }

    public void write(PolicyValue v, ByteBuffer b) {
      b.put((byte) v.verdict).put((byte) v.matchType).putShort((short) 0).putInt(v.ruleId).putInt(v.prefixes);
    }

    public PolicyValue read(ByteBuffer b) {
      int verdict = Byte.toUnsignedInt(b.get());
      int match = Byte.toUnsignedInt(b.get());
      b.getShort();
      int rule = b.getInt();
      return new PolicyValue(verdict, match, rule, b.getInt());
    }
  };
}
