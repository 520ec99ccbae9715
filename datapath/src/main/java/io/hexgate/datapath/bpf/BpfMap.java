package io.hexgate.datapath.bpf;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * One kernel map by file descriptor, with byte-array keys and values; {@link #typed} puts codecs on it.
 * The descriptor belongs to whoever opened it (a {@link BpfObject}, or {@link #openPinned}).
 */
public final class BpfMap {
  /** bpf_map_update_elem flags. */
  public static final long BPF_ANY = 0;
  public static final long BPF_NOEXIST = 1;
  public static final long BPF_EXIST = 2;

  private static final int ENOENT = 2;
  private static final int BPF_MAP_TYPE_PERCPU_HASH = 5;
  private static final int BPF_MAP_TYPE_PERCPU_ARRAY = 6;
  private static final int BPF_MAP_TYPE_LRU_PERCPU_HASH = 10;

  private final String name;
  private final int fd;
  private final int type;
  private final int keySize;
  private final int valueSize;
  private final int maxEntries;
  private final boolean ownsFd;

  BpfMap(String name, int fd, int type, int keySize, int valueSize, int maxEntries, boolean ownsFd) {
    this.name = name;
    this.fd = fd;
    this.type = type;
    this.keySize = keySize;
    this.valueSize = valueSize;
    this.maxEntries = maxEntries;
    this.ownsFd = ownsFd;
  }

  /**
   * A pinned map, e.g. for inspection or tests; the sizes must be the ones it was created with (use
   * {@link BpfObject#map} when the object is at hand). Close it with {@link #closeFd()}.
   */
  public static BpfMap openPinned(String path, int type, int keySize, int valueSize, int maxEntries) {
    int fd = BpfException.check(Native.libbpf().bpf_obj_get(path), "bpf_obj_get", path);
    return new BpfMap(path, fd, type, keySize, valueSize, maxEntries, true);
  }

  public String name() {
    return name;
  }

  public int fd() {
    return fd;
  }

  public int type() {
    return type;
  }

  public int keySize() {
    return keySize;
  }

  public int valueSize() {
    return valueSize;
  }

  public int maxEntries() {
    return maxEntries;
  }

  public boolean perCpu() {
    return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY
        || type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
  }

  /** Bytes a lookup returns: per-CPU maps return one 8-byte-aligned value per possible CPU. */
  public int lookupSize() {
    return perCpu() ? ((valueSize + 7) & ~7) * Native.libbpf().libbpf_num_possible_cpus() : valueSize;
  }

  public void update(byte[] key, byte[] value) {
    update(key, value, BPF_ANY);
  }

  public void update(byte[] key, byte[] value, long flags) {
    checkKey(key);
    if (value.length != lookupSize()) {
      throw new IllegalArgumentException(name + ": value of " + value.length + " bytes, map has " + lookupSize());
    }
    BpfException.check(Native.libbpf().bpf_map_update_elem(fd, key, value, flags), "bpf_map_update_elem", name);
  }

  /** The value, or null when the key is absent. */
  public byte[] lookup(byte[] key) {
    checkKey(key);
    byte[] value = new byte[lookupSize()];
    int ret = Native.libbpf().bpf_map_lookup_elem(fd, key, value);
    if (ret == -ENOENT) {
      return null;
    }
    BpfException.check(ret, "bpf_map_lookup_elem", name);
    return value;
  }

  /** Whether the key was there. */
  public boolean delete(byte[] key) {
    checkKey(key);
    int ret = Native.libbpf().bpf_map_delete_elem(fd, key);
    if (ret == -ENOENT) {
      return false;
    }
    BpfException.check(ret, "bpf_map_delete_elem", name);
    return true;
  }

  /** Every key, by bpf_map_get_next_key (a snapshot only as good as the map's stability meanwhile). */
  public List<byte[]> keys() {
    List<byte[]> keys = new ArrayList<>();
    byte[] prev = null;
    while (true) {
      byte[] next = new byte[keySize];
      int ret = Native.libbpf().bpf_map_get_next_key(fd, prev, next);
      if (ret == -ENOENT) {
        return keys;
      }
      BpfException.check(ret, "bpf_map_get_next_key", name);
      keys.add(next);
      prev = next;
      if (keys.size() > maxEntries + 1L) {
        // hash maps restart from the first key when the previous one was deleted meanwhile
        throw new BpfException(name + ": iteration did not end after " + keys.size() + " keys");
      }
    }
  }

  /** Every entry present while iterating; entries deleted meanwhile are skipped. */
  public void forEach(BiConsumer<byte[], byte[]> action) {
    for (byte[] k : keys()) {
      byte[] v = lookup(k);
      if (v != null) {
        action.accept(k, v);
      }
    }
  }

  public <K, V> TypedMap<K, V> typed(Codec<K> keys, Codec<V> values) {
    if (keys.size() != keySize || values.size() != valueSize) {
      throw new IllegalArgumentException(name + ": codecs of " + keys.size() + "/" + values.size()
          + " bytes, map has " + keySize + "/" + valueSize);
    }
    return new TypedMap<>(this, keys, values);
  }

  /** Closes the descriptor when this map opened it itself ({@link #openPinned}). */
  public void closeFd() {
    if (ownsFd) {
      Native.libc().close(fd);
    }
  }

  private void checkKey(byte[] key) {
    if (key != null && key.length != keySize) {
      throw new IllegalArgumentException(name + ": key of " + key.length + " bytes, map has " + keySize);
    }
  }

  @Override
  public String toString() {
    return "BpfMap[" + name + ", fd " + fd + "]";
  }
}
