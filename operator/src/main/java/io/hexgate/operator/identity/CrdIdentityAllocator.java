package io.hexgate.operator.identity;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.hexgate.operator.endpoint.api.CiliumEndpoint;
import io.hexgate.operator.identity.api.CiliumIdentity;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Identities as CiliumIdentity objects (Cilium's CRD mode): the object name is the number, and creating
 * it is the allocation. Replicas that race are kept apart by the API server: a create of a taken name fails
 * with 409, after which the name is either another label set's (try the next number) or ours (adopt it).
 * Every replica walks the numbers upward from the lowest it believes free, so a label set created by one
 * replica is met, and adopted, by the other before any higher free number.
 *
 * <p>Restart keeps numbers: {@link #load()} reads every object, and a label set already there is reused.
 * Garbage collection ({@link #collect()}) marks an identity no endpoint uses with the annotation {@value
 * #HEARTBEAT} and deletes it on a later pass once the grace period has passed; use again removes the mark.
 *
 * <p>Thread-safe; every method holds the allocator's lock, including its API calls.
 */
public final class CrdIdentityAllocator implements IdentityAllocator {
  public static final String HEARTBEAT = "io.cilium.heartbeat";
  private static final Logger LOG = LoggerFactory.getLogger(CrdIdentityAllocator.class);

  private final KubernetesClient client;
  private final Clock clock;
  private final Duration grace;

  private final Map<Labels, Long> byLabels = new HashMap<>();
  private final Map<Long, Labels> byId = new TreeMap<>();
  private final Map<Long, Instant> marked = new HashMap<>();
  private final Set<Long> inUse = new HashSet<>();

  /** What one garbage-collection pass did. */
  public record GcResult(List<Long> marked, List<Long> unmarked, List<Long> deleted) {}

  public CrdIdentityAllocator(KubernetesClient client, Clock clock, Duration grace) {
    this.client = client;
    this.clock = clock;
    this.grace = grace;
  }

  private NonNamespaceOperation<CiliumIdentity, KubernetesResourceList<CiliumIdentity>, Resource<CiliumIdentity>>
      identities() {
    return client.resources(CiliumIdentity.class);
  }

  /** Reads every CiliumIdentity, so that known label sets keep their numbers; call before allocating. */
  public synchronized void load() {
    byLabels.clear();
    byId.clear();
    marked.clear();
    for (CiliumIdentity ci : identities().list().getItems()) {
      remember(ci);
    }
    LOG.info("loaded {} CiliumIdentities", byId.size());
  }

  @Override
  public synchronized long allocate(Labels labels) {
    Long known = byLabels.get(labels);
    if (known != null) {
      inUse.add(known);
      if (marked.containsKey(known)) {
        unmark(known);
      }
      return known;
    }
    for (long id = lowestFree(ReservedIdentity.FIRST_CLUSTER_ID); id <= ReservedIdentity.LAST_CLUSTER_ID; ) {
      try {
        identities().resource(object(id, labels)).create();
        record(id, labels);
        inUse.add(id);
        LOG.info("allocated identity {} for {}", id, labels);
        return id;
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
      }
      CiliumIdentity winner = identities().withName(Long.toString(id)).get();
      if (winner == null) {
        continue; // deleted since our create: try the same number again
      }
      Labels theirs = remember(winner);
      if (theirs.equals(labels)) {
        inUse.add(id);
        if (marked.containsKey(id)) {
          unmark(id);
        }
        LOG.info("adopted identity {} for {}, created by another replica", id, labels);
        return id;
      }
      id = lowestFree(id + 1);
    }
    throw new IllegalStateException("cluster identity space (256-65535) exhausted");
  }

  @Override
  public synchronized void release(long id, Labels labels) {
    // The object stays: the same labels get the same number back until garbage collection.
    inUse.remove(id);
  }

  /** The number of each label set this allocator knows. */
  public synchronized Map<Labels, Long> known() {
    return Map.copyOf(byLabels);
  }

  /**
   * One garbage-collection pass over every CiliumIdentity: an identity that no endpoint of this allocator
   * and no CiliumEndpoint uses is marked, and deleted once its mark is older than the grace period; a used
   * identity loses its mark. Also learns identities other replicas created.
   */
  public synchronized GcResult collect() {
    Set<Long> referenced = new HashSet<>(inUse);
    for (CiliumEndpoint cep : client.resources(CiliumEndpoint.class).inAnyNamespace().list().getItems()) {
      if (cep.getStatus() != null && cep.getStatus().identity != null && cep.getStatus().identity.id != null) {
        referenced.add(cep.getStatus().identity.id);
      }
    }
    Instant now = clock.instant();
    List<Long> newlyMarked = new ArrayList<>();
    List<Long> unmarked = new ArrayList<>();
    List<Long> deleted = new ArrayList<>();
    for (CiliumIdentity ci : identities().list().getItems()) {
      Long id = parseId(ci);
      if (id == null) {
        continue;
      }
      remember(ci);
      Instant mark = marked.get(id);
      if (referenced.contains(id)) {
        if (mark != null) {
          unmark(id);
          unmarked.add(id);
        }
      } else if (mark == null) {
        String stamp = now.toString();
        identities().withName(ci.getMetadata().getName()).edit(o -> {
          if (o.getMetadata().getAnnotations() == null) {
            o.getMetadata().setAnnotations(new HashMap<>());
          }
          o.getMetadata().getAnnotations().put(HEARTBEAT, stamp);
          return o;
        });
        marked.put(id, now);
        newlyMarked.add(id);
      } else if (!now.isBefore(mark.plus(grace))) {
        identities().withName(ci.getMetadata().getName()).delete();
        forget(id);
        deleted.add(id);
      }
    }
    if (!newlyMarked.isEmpty() || !unmarked.isEmpty() || !deleted.isEmpty()) {
      LOG.info("identity GC: marked {}, unmarked {}, deleted {}", newlyMarked, unmarked, deleted);
    }
    return new GcResult(newlyMarked, unmarked, deleted);
  }

  private void unmark(long id) {
    identities().withName(Long.toString(id)).edit(o -> {
      if (o.getMetadata().getAnnotations() != null) {
        o.getMetadata().getAnnotations().remove(HEARTBEAT);
      }
      return o;
    });
    marked.remove(id);
  }

  private long lowestFree(long from) {
    long id = from;
    while (byId.containsKey(id)) {
      id++;
    }
    return id;
  }

  /** Records an object's number and labels (the lowest number wins when two share labels). */
  private Labels remember(CiliumIdentity ci) {
    Long id = parseId(ci);
    Labels labels = labelsOf(ci);
    if (id == null) {
      return labels;
    }
    record(id, labels);
    String stamp = ci.getMetadata().getAnnotations() == null ? null : ci.getMetadata().getAnnotations().get(HEARTBEAT);
    if (stamp == null) {
      marked.remove(id);
    } else {
      marked.put(id, parseStamp(stamp));
    }
    return labels;
  }

  private void record(long id, Labels labels) {
    byId.put(id, labels);
    byLabels.merge(labels, id, Math::min);
  }

  private void forget(long id) {
    Labels labels = byId.remove(id);
    marked.remove(id);
    if (labels != null) {
      byLabels.remove(labels, id);
    }
  }

  private Instant parseStamp(String stamp) {
    try {
      return Instant.parse(stamp);
    } catch (DateTimeParseException e) {
      return clock.instant(); // unreadable: the grace period starts now
    }
  }

  private static Long parseId(CiliumIdentity ci) {
    try {
      return Long.parseLong(ci.getMetadata().getName());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The object for a label set: {@code security-labels} as {@code source:key} to value. */
  static CiliumIdentity object(long id, Labels labels) {
    CiliumIdentity ci = new CiliumIdentity();
    ObjectMetaBuilder meta = new ObjectMetaBuilder().withName(Long.toString(id));
    String ns = labels.value(Label.SOURCE_K8S, SecurityLabels.NAMESPACE);
    if (ns != null) {
      meta.addToLabels(SecurityLabels.NAMESPACE, ns);
    }
    ci.setMetadata(meta.build());
    Map<String, String> security = new TreeMap<>();
    for (Label l : labels) {
      security.put(l.sourceKey(), l.value());
    }
    ci.securityLabels = security;
    return ci;
  }

  static Labels labelsOf(CiliumIdentity ci) {
    List<Label> out = new ArrayList<>();
    if (ci.securityLabels != null) {
      ci.securityLabels.forEach(
          (sourceKey, value) -> {
            int colon = sourceKey.indexOf(':');
            out.add(
                colon < 0
                    ? new Label(Label.SOURCE_K8S, sourceKey, value)
                    : new Label(sourceKey.substring(0, colon), sourceKey.substring(colon + 1), value));
          });
    }
    return Labels.of(out);
  }
}
