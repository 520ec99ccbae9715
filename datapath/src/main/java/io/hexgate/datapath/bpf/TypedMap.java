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
