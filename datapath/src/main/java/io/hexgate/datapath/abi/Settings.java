package io.hexgate.datapath.abi;

import io.hexgate.datapath.bpf.Codec;
import java.nio.ByteBuffer;

/**
 * struct hg_settings, the load-time settings: the programs' .rodata, written before the object is loaded
 * and constant afterwards (lib/abi.h). What changes at run time stays in {@link Config} (hg_config).
 */
public record Settings(int flags) {
  /** from_pod hands established packets for the node's own pods straight to their interface. */
  public static final int SETTING_HOST_ROUTING = 1;

  /** Everything off: what tests comparing the programs with the Java twin (which does not route) load. */
  public static final Settings NONE = new Settings(0);

  public static final Codec<Settings> CODEC = new Codec<>() {
    public int size() {
      return 4;
    }

    public void write(Settings s, ByteBuffer b) {
      b.putInt(s.flags);
    }

    public Settings read(ByteBuffer b) {
      return new Settings(b.getInt());
    }
  };
}
