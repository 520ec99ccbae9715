package io.hexgate.datapath.bpf;

import io.hexgate.datapath.sys.LibC;
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
  private static final int EEXIST = 17;
  private static final int BATCH = 8192;
  private static final int BPF_MAP_TYPE_HASH = 1;
  private static final int BPF_MAP_TYPE_LRU_HASH = 9;
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

  /** A pinned map, its sizes read from the kernel. Close it with {@link #closeFd()}. */
  public static BpfMap openPinned(String path) {
    int fd = BpfException.check(Native.libbpf().bpf_obj_get(path), "bpf_obj_get", path);
    try {
      MapDefinition d = MapDefinition.ofFd(fd, path);
      return new BpfMap(path, fd, d.type(), d.keySize(), d.valueSize(), d.maxEntries(), true);
    } catch (RuntimeException e) {
      LibC.get().close(fd);
      throw e;
    }
  }

  /** A new, unpinned map of definition {@code d} (tests, and tools that build maps by hand). Close with {@link #closeFd()}. */
  public static BpfMap create(String name, MapDefinition d) {
    // struct bpf_map_create_opts: sz, btf_fd, btf_key_type_id, btf_value_type_id, btf_vmlinux_value_type_id,
    // inner_map_fd, map_flags, map_extra (at 32), numa_node, map_ifindex
    jnr.ffi.Pointer opts = Native.allocate(48);
    opts.putLong(0, 48);
    opts.putInt(28, d.flags());
    opts.putLong(32, d.extra());
    int fd = BpfException.check(
        Native.libbpf().bpf_map_create(d.type(), name, d.keySize(), d.valueSize(), d.maxEntries(), opts),
        "bpf_map_create", name);
    return new BpfMap(name, fd, d.type(), d.keySize(), d.valueSize(), d.maxEntries(), true);
  }

  /** Pins this map at {@code path} (bpffs). */
  public void pin(String path) {
    BpfException.check(Native.libbpf().bpf_obj_pin(fd, path), "bpf_obj_pin", path);
  }

  /** What the kernel says this map is. */
  public MapDefinition definition() {
    return MapDefinition.ofFd(fd, name);
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

  /** Inserts unless the key is present (BPF_NOEXIST); false when it was, without an exception. */
  public boolean putIfAbsent(byte[] key, byte[] value) {
    checkKey(key);
    if (value.length != lookupSize()) {
      throw new IllegalArgumentException(name + ": value of " + value.length + " bytes, map has " + lookupSize());
    }
    int ret = Native.libbpf().bpf_map_update_elem(fd, key, value, BPF_NOEXIST);
    if (ret == -EEXIST) {
      return false;
    }
    BpfException.check(ret, "bpf_map_update_elem", name);
    return true;
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

  /**
   * Updates many elements in one bpf() call per chunk (BPF_MAP_UPDATE_BATCH), in list order. Hash maps only
   * ({@link #supportsBatch()}); falls back to single updates otherwise.
   */
  public void updateBatch(List<byte[]> keys, List<byte[]> values) {
    if (keys.size() != values.size()) {
      throw new IllegalArgumentException(name + ": " + keys.size() + " keys but " + values.size() + " values");
    }
    if (!supportsBatch()) {
      for (int i = 0; i < keys.size(); i++) {
        update(keys.get(i), values.get(i));
      }
      return;
    }
    for (int from = 0; from < keys.size(); from += BATCH) {
      int n = Math.min(BATCH, keys.size() - from);
      jnr.ffi.Pointer k = Native.allocate(n * keySize);
      jnr.ffi.Pointer v = Native.allocate(n * valueSize);
      for (int i = 0; i < n; i++) {
        byte[] key = keys.get(from + i);
        byte[] value = values.get(from + i);
        checkKey(key);
        if (value.length != valueSize) {
          throw new IllegalArgumentException(name + ": value of " + value.length + " bytes, map has " + valueSize);
        }
        k.put((long) i * keySize, key, 0, keySize);
        v.put((long) i * valueSize, value, 0, valueSize);
      }
      jnr.ffi.Pointer count = Native.allocate(4);
      count.putInt(0, n);
      BpfException.check(Native.libbpf().bpf_map_update_batch(fd, k, v, count, null), "bpf_map_update_batch",
          name + " (" + count.getInt(0) + " of " + n + " done)");
    }
  }

  /** Deletes many elements, in list order; absent keys are skipped. Returns how many were there. */
  public int deleteBatch(List<byte[]> keys) {
    int deleted = 0;
    if (!supportsBatch()) {
      for (byte[] k : keys) {
        deleted += delete(k) ? 1 : 0;
      }
      return deleted;
    }
    for (int from = 0; from < keys.size(); from += BATCH) {
      int n = Math.min(BATCH, keys.size() - from);
      jnr.ffi.Pointer k = Native.allocate(n * keySize);
      for (int i = 0; i < n; i++) {
        byte[] key = keys.get(from + i);
        checkKey(key);
        k.put((long) i * keySize, key, 0, keySize);
      }
      jnr.ffi.Pointer count = Native.allocate(4);
      count.putInt(0, n);
      int ret = Native.libbpf().bpf_map_delete_batch(fd, k, count, null);
      int done = count.getInt(0);
      deleted += done;
      if (ret == -ENOENT) {
        // stopped at an absent key: delete the rest one by one
        for (int i = done + 1; i < n; i++) {
          deleted += delete(keys.get(from + i)) ? 1 : 0;
        }
      } else {
        BpfException.check(ret, "bpf_map_delete_batch", name + " (" + done + " of " + n + " done)");
      }
    }
    return deleted;
  }

  /** Whether the kernel takes batch updates and deletes for this map type (hash maps). */
  public boolean supportsBatch() {
    return type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_LRU_HASH;
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
      LibC.get().close(fd);
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
