package io.hexgate.datapath.bpf;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** A {@link BpfMap} seen through codecs. Not for per-CPU values (use {@link BpfMap#lookup}). */
public final class TypedMap<K, V> {
  private final BpfMap map;
  private final Codec<K> keys;
  private final Codec<V> values;

  TypedMap(BpfMap map, Codec<K> keys, Codec<V> values) {
    this.map = map;
    this.keys = keys;
    this.values = values;
  }

  public BpfMap raw() {
    return map;
  }

  public void put(K key, V value) {
    map.update(keys.encode(key), values.encode(value));
  }

  /** Writes the entries in iteration order, batched where the map type allows. */
  public void putAll(java.util.List<Map.Entry<K, V>> entries) {
    java.util.List<byte[]> k = new java.util.ArrayList<>(entries.size());
    java.util.List<byte[]> v = new java.util.ArrayList<>(entries.size());
    for (Map.Entry<K, V> e : entries) {
      k.add(keys.encode(e.getKey()));
      v.add(values.encode(e.getValue()));
    }
    map.updateBatch(k, v);
  }

  /** Deletes the keys in order, batched where the map type allows; returns how many were there. */
  public int deleteAll(java.util.List<K> toDelete) {
    return map.deleteBatch(toDelete.stream().map(keys::encode).toList());
  }

  public Optional<V> get(K key) {
    byte[] v = map.lookup(keys.encode(key));
    return v == null ? Optional.empty() : Optional.of(values.decode(v));
  }

  public boolean delete(K key) {
    return map.delete(keys.encode(key));
  }

  /** The whole map as it is while iterating. */
  public Map<K, V> entries() {
    Map<K, V> all = new LinkedHashMap<>();
    map.forEach((k, v) -> all.put(keys.decode(k), values.decode(v)));
    return all;
  }
}
