package io.hexgate.lab.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.http.MockResponse;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Objects kept in fabric8's CRUD dispatcher, whose map and watch listeners stay the single source of
 * truth (so fabric8 clients' watches see every change), written only through here. The dispatcher finds
 * objects by scanning its whole map; this store keeps an index by type, namespace and name, and one of
 * dependents by owner uid, so that reads and garbage collection do not. Callers hold the API server's
 * lock around every call: the dispatcher's own lock is private.
 */
final class ObjectStore {
  private final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
  private final KubernetesAttributesExtractor extractor = (KubernetesAttributesExtractor) crud.getAttributeExtractor();
  private final ObjectMapper json;
  private final AtomicLong lastVersion = new AtomicLong();
  // "apiVersion|plural|namespace|name" -> the object's key in the dispatcher's map
  private final NavigableMap<String, AttributeSet> index = new TreeMap<>();
  private final Map<String, Set<String>> dependents = new HashMap<>();
  private final Map<String, List<String>> owners = new HashMap<>();

  ObjectStore(ObjectMapper json) {
    this.json = json;
  }

  private static String key(ApiResource type, String namespace, String name) {
    return type.apiVersion() + "|" + type.plural() + "|" + (type.namespaced() && namespace != null ? namespace : "") + "|" + name;
  }

  ObjectNode get(ApiResource type, String namespace, String name) {
    AttributeSet k = index.get(key(type, namespace, name));
    String text = k == null ? null : crud.getMap().get(k);
    return text == null ? null : parse(text);
  }

  /** Every object of {@code type}, in {@code namespace} or in all namespaces when it is null. */
  List<ObjectNode> list(ApiResource type, String namespace) {
    String prefix = type.apiVersion() + "|" + type.plural() + "|" + (type.namespaced() && namespace != null ? namespace + "|" : "");
    List<ObjectNode> out = new ArrayList<>();
    for (AttributeSet k : index.subMap(prefix, prefix + Character.MAX_VALUE).values()) {
      String text = crud.getMap().get(k);
      if (text != null) {
        out.add(parse(text));
      }
    }
    return out;
  }

  /** The stored objects whose ownerReferences name {@code uid}. */
  List<ObjectNode> dependentsOf(String uid) {
    List<ObjectNode> out = new ArrayList<>();
    for (String k : dependents.getOrDefault(uid, Set.of())) {
      AttributeSet a = index.get(k);
      String text = a == null ? null : crud.getMap().get(a);
      if (text != null) {
        out.add(parse(text));
      }
    }
    return out;
  }

  /** Stores {@code object} as the new state (null: deletes it) and tells the watchers. */
  void put(ApiResource type, String namespace, String name, ObjectNode object) {
    String k = key(type, namespace, name);
    String path = type.itemPath(namespace, name);
    AttributeSet pathKey = crud.getKey(path);
    String text = object == null ? null : write(object);
    crud.processEvent(path, pathKey, index.get(k), null, text);
    unlinkOwners(k);
    if (text == null) {
      index.remove(k);
      return;
    }
    // the key the dispatcher stored the object under, worked out as processEvent does
    AttributeSet stored = extractor.fromResource(text);
    if (!stored.containsKey(KubernetesAttributesExtractor.PLURAL)) {
      stored = AttributeSet.merge(pathKey, stored);
    }
    if (!crud.getMap().containsKey(stored)) {
      stored = crud.findResource(pathKey).getKey();
    }
    index.put(k, stored);
    List<String> ownerUids = new ArrayList<>();
    for (JsonNode ref : object.path("metadata").path("ownerReferences")) {
      String uid = ref.path("uid").asText("");
      if (!uid.isEmpty()) {
        ownerUids.add(uid);
        dependents.computeIfAbsent(uid, u -> new LinkedHashSet<>()).add(k);
      }
    }
    if (!ownerUids.isEmpty()) {
      owners.put(k, ownerUids);
    }
  }

  private void unlinkOwners(String k) {
    List<String> previous = owners.remove(k);
    if (previous != null) {
      for (String uid : previous) {
        Set<String> set = dependents.get(uid);
        if (set != null) {
          set.remove(k);
          if (set.isEmpty()) {
            dependents.remove(uid);
          }
        }
      }
    }
  }

  /** A new resourceVersion, higher than every one handed out before. */
  long nextVersion() {
    long v = crud.requestResourceVersion();
    lastVersion.set(v);
    return v;
  }

  long currentVersion() {
    return lastVersion.get();
  }

  /** Hands a websocket watch to the CRUD dispatcher, which streams every later change of matching objects. */
  MockResponse watch(String pathAndQuery) {
    return crud.handleWatch(pathAndQuery);
  }

  private ObjectNode parse(String s) {
    try {
      return (ObjectNode) json.readTree(s);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String write(ObjectNode o) {
    try {
      return json.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
