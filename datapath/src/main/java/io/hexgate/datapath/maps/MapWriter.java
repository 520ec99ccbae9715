package io.hexgate.datapath.maps;

import io.hexgate.datapath.abi.BackendKey;
import io.hexgate.datapath.abi.BackendValue;
import io.hexgate.datapath.abi.EndpointKey;
import io.hexgate.datapath.abi.EndpointValue;
import io.hexgate.datapath.abi.IpcacheHostKey;
import io.hexgate.datapath.abi.IpcacheKey;
import io.hexgate.datapath.abi.IpcacheValue;
import io.hexgate.datapath.abi.PolicyKey;
import io.hexgate.datapath.abi.PolicyValue;
import io.hexgate.datapath.abi.ServiceKey;
import io.hexgate.datapath.abi.ServiceValue;
import io.hexgate.datapath.bpf.BpfObject;
import io.hexgate.datapath.bpf.TypedMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Brings the kernel's maps from one {@link MapContents} to the next by difference, in an order that never
 * opens a moment of allow-all or deny-all (DESIGN.md): all upserts before any delete; policy upserts
 * port blocks first, then protocol entries, then table entries, and deletes the other way round, so that
 * each lookup meets the old or the new table of an identity; backends before the services that count
 * them; endpoints last in and first out. Conntrack is not walked here: connections of departed endpoints and
 * of identities or policies that changed are judged again through the policy generation
 * ({@link KernelConntrack}).
 *
 * <p>When a call fails midway the kernel holds a mix of both contents; {@code write(readKernel(), to)}
 * resumes from what is really there.
 */
public final class MapWriter {
  private final TypedMap<IpcacheHostKey, IpcacheValue> ipcacheHosts;
  private final TypedMap<IpcacheKey, IpcacheValue> ipcache;
  private final TypedMap<EndpointKey, EndpointValue> endpoints;
  private final TypedMap<PolicyKey, PolicyValue> policy;
  private final TypedMap<ServiceKey, ServiceValue> services;
  private final TypedMap<BackendKey, BackendValue> backends;

  public MapWriter(BpfObject obj) {
    this.ipcacheHosts = obj.map("hg_ipcache_host").typed(IpcacheHostKey.CODEC, IpcacheValue.CODEC);
    this.ipcache = obj.map("hg_ipcache").typed(IpcacheKey.CODEC, IpcacheValue.CODEC);
    this.endpoints = obj.map("hg_endpoints").typed(EndpointKey.CODEC, EndpointValue.CODEC);
    this.policy = obj.map("hg_policy").typed(PolicyKey.CODEC, PolicyValue.CODEC);
    this.services = obj.map("hg_services").typed(ServiceKey.CODEC, ServiceValue.CODEC);
    this.backends = obj.map("hg_backends").typed(BackendKey.CODEC, BackendValue.CODEC);
  }

  /** What one {@link #write} changed, in elements. */
  public record Stats(int upserts, int deletes) {}

  public Stats write(MapContents from, MapContents to) {
    int[] n = new int[2];
    n[0] += upsert(policy, from.policy(), to.policy(), Comparator.comparingInt(PolicyKey::rank));
    n[0] += upsert(ipcacheHosts, from.ipcacheHosts(), to.ipcacheHosts(), null);
    n[0] += upsert(ipcache, from.ipcache(), to.ipcache(), Comparator.comparingInt(IpcacheKey::prefixLen).reversed());
    n[0] += upsert(backends, from.backends(), to.backends(), null);
    n[0] += upsert(services, from.services(), to.services(), null);
    n[0] += upsert(endpoints, from.endpoints(), to.endpoints(), null);

    n[1] += delete(endpoints, from.endpoints(), to.endpoints(), null);
    n[1] += delete(services, from.services(), to.services(), null);
    n[1] += delete(backends, from.backends(), to.backends(), null);
    n[1] += delete(ipcacheHosts, from.ipcacheHosts(), to.ipcacheHosts(), null);
    n[1] += delete(ipcache, from.ipcache(), to.ipcache(), Comparator.comparingInt(IpcacheKey::prefixLen));
    n[1] += delete(policy, from.policy(), to.policy(), Comparator.comparingInt(PolicyKey::rank).reversed());

    return new Stats(n[0], n[1]);
  }

  /** The configuration maps as the kernel holds them (ids only: rule, endpoint and service names are the
   *  agent's and are not stored there). For a restarted agent to diff against what is pinned. */
  public MapContents readKernel() {
    return new MapContents(ipcacheHosts.entries(), ipcache.entries(), endpoints.entries(), policy.entries(), services.entries(),
        backends.entries(), Map.of(), Map.of(), Map.of(), Map.of(), 1);
  }

  private static <K, V> int upsert(TypedMap<K, V> map, Map<K, V> from, Map<K, V> to, Comparator<K> order) {
    List<K> keys = new ArrayList<>();
    to.forEach((k, v) -> {
      if (!Objects.equals(from.get(k), v)) {
        keys.add(k);
      }
    });
    if (order != null) {
      keys.sort(order);
    }
    List<Map.Entry<K, V>> entries = new ArrayList<>(keys.size());
    for (K k : keys) {
      entries.add(Map.entry(k, to.get(k)));
    }
    map.putAll(entries); // in order: one batch call processes its elements one after the other
    return keys.size();
  }

  private static <K, V> int delete(TypedMap<K, V> map, Map<K, V> from, Map<K, V> to, Comparator<K> order) {
    List<K> keys = new ArrayList<>();
    for (K k : from.keySet()) {
      if (!to.containsKey(k)) {
        keys.add(k);
      }
    }
    if (order != null) {
      keys.sort(order);
    }
    map.deleteAll(keys);
    return keys.size();
  }
}
