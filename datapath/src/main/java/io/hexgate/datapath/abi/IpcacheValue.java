package io.hexgate.datapath.abi;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;

public record IpcacheValue(int identity) {
  /** No match in the IP cache (HG_IDENTITY_WORLD). */
  public static final int IDENTITY_WORLD = 2;

  public static final Codec<IpcacheValue> CODEC = new Codec<>() {
    public int size() {
      return 4;
    }

    public void write(IpcacheValue v, ByteBuffer b) {
      b.putInt(v.identity);
    }

    public IpcacheValue read(ByteBuffer b) {
      return new IpcacheValue(b.getInt());
    }
  };
}
