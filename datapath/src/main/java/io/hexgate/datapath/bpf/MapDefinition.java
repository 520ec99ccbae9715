package io.hexgate.datapath.bpf;

import io.hexgate.datapath.sys.LibC;
import java.util.ArrayList;
import java.util.List;

/**
 * What the kernel fixes when a map is created, and what libbpf requires to be equal before it reuses a
 * pinned map for an object's map: type, key and value size, max entries, flags and the extra word.
 */
public record MapDefinition(int type, int keySize, int valueSize, int maxEntries, int flags, long extra) {
  static final int BPF_MAP_TYPE_HASH = 1;
  static final int BPF_MAP_TYPE_ARRAY = 2;
  static final int BPF_MAP_TYPE_PERCPU_HASH = 5;
  static final int BPF_MAP_TYPE_PERCPU_ARRAY = 6;
  static final int BPF_MAP_TYPE_LRU_HASH = 9;
  static final int BPF_MAP_TYPE_LRU_PERCPU_HASH = 10;
  static final int BPF_MAP_TYPE_LPM_TRIE = 11;

  /** struct bpf_map_info up to map_extra, aligned to 8 (linux/bpf.h). */
  private static final int MAP_INFO_SIZE = 88;

  /** The definition of the map pinned at {@code path}. */
  public static MapDefinition ofPinned(String path) {
    LibBpf bpf = Native.libbpf();
    int fd = BpfException.check(bpf.bpf_obj_get(path), "bpf_obj_get", path);
    try {
      return ofFd(fd, path);
    } finally {
      LibC.get().close(fd);
    }
  }

  static MapDefinition ofFd(int fd, String what) {
    jnr.ffi.Pointer info = Native.allocate(MAP_INFO_SIZE);
    jnr.ffi.Pointer len = Native.allocate(4);
    len.putInt(0, MAP_INFO_SIZE);
    BpfException.check(Native.libbpf().bpf_obj_get_info_by_fd(fd, info, len), "bpf_obj_get_info_by_fd", what);
    long extra = len.getInt(0) >= MAP_INFO_SIZE ? info.getLong(80) : 0;
    return new MapDefinition(info.getInt(0), info.getInt(8), info.getInt(12), info.getInt(16), info.getInt(20), extra);
  }

  /** Whether one value per possible CPU is read and written. */
  public boolean perCpu() {
    return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
  }

  /**
   * Whether this map's entries, read as bytes, mean the same in a map of definition {@code to}: both
   * hold keys and values of the same sizes in the same kind of container (hashes of the same per-CPU-ness,
   * LPM tries, arrays). Ring buffers, and every layout change, start empty.
   */
  public boolean entriesFit(MapDefinition to) {
    return valueSize == to.valueSize && keysFit(to);
  }

  /**
   * Whether this map's keys mean the same in a map of definition {@code to} (as {@link #entriesFit}, the
   * value size aside): values of another size can be carried only by a conversion that knows both layouts.
   */
  public boolean keysFit(MapDefinition to) {
    return keySize == to.keySize && family() != 0 && family() == to.family();
  }

  private int family() {
    return switch (type) {
      case BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH -> 1;
      case BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH -> 2;
      case BPF_MAP_TYPE_LPM_TRIE -> 3;
      case BPF_MAP_TYPE_ARRAY -> 4;
      case BPF_MAP_TYPE_PERCPU_ARRAY -> 5;
      default -> 0;
    };
  }

  /** The fields that differ, e.g. "value size 48 -> 64, type 9 -> 1"; empty when equal. */
  public String differences(MapDefinition to) {
    List<String> d = new ArrayList<>();
    if (type != to.type) {
      d.add("type " + type + " -> " + to.type);
    }
    if (keySize != to.keySize) {
      d.add("key size " + keySize + " -> " + to.keySize);
    }
    if (valueSize != to.valueSize) {
      d.add("value size " + valueSize + " -> " + to.valueSize);
    }
    if (maxEntries != to.maxEntries) {
      d.add("max entries " + maxEntries + " -> " + to.maxEntries);
    }
    if (flags != to.flags) {
      d.add("flags 0x" + Integer.toHexString(flags) + " -> 0x" + Integer.toHexString(to.flags));
    }
    if (extra != to.extra) {
      d.add("map_extra " + extra + " -> " + to.extra);
    }
    return String.join(", ", d);
  }
}
