package io.hexgate.datapath.abi;

import static io.hexgate.datapath.abi.NetOrder.getNet32;
import static io.hexgate.datapath.abi.NetOrder.putNet32;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;

public record IpcacheKey(int prefixLen, int addr) {
  public static final Codec<IpcacheKey> CODEC = new Codec<>() {
    public int size() {
      return 8;
    }

    public void write(IpcacheKey k, ByteBuffer b) {
      b.putInt(k.prefixLen);
      putNet32(b, k.addr);
    }

    public IpcacheKey read(ByteBuffer b) {
      return new IpcacheKey(b.getInt(), getNet32(b));
    }
  };
}
