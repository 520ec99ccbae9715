package io.hexgate.datapath.abi;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;

public record BackendKey(int serviceId, int slot) {
  public static final Codec<BackendKey> CODEC = new Codec<>() {
    public int size() {
      return 8;
    }

    public void write(BackendKey k, ByteBuffer b) {
      b.putInt(k.serviceId).putInt(k.slot);
    }

    public BackendKey read(ByteBuffer b) {
      return new BackendKey(b.getInt(), b.getInt());
    }
  };
}
