package io.hexgate.datapath.abi;

import static io.hexgate.datapath.abi.NetOrder.getNet32;
import static io.hexgate.datapath.abi.NetOrder.putNet32;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;

/** hg_ipcache_host: the /32 entries of the IP cache, by address. */
public record IpcacheHostKey(int addr) {
  public static final Codec<IpcacheHostKey> CODEC = new Codec<>() {
    public int size() {
      return 4;
    }

    public void write(IpcacheHostKey k, ByteBuffer b) {
      putNet32(b, k.addr);
    }

    public IpcacheHostKey read(ByteBuffer b) {
      return new IpcacheHostKey(getNet32(b));
    }
  };
}
