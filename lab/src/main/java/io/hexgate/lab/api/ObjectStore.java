package io.hexgate.lab.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.http.MockResponse;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Objects kept in fabric8's CRUD dispatcher, whose map and watch listeners stay the single source of
 * truth (so fabric8 clients' watches see every change), written only through here. Callers hold the
 * lock of the API server around every call: the dispatcher's own lock is private.
 */
final class ObjectStore {
  private final KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher();
  private final ObjectMapper json;
  private final AtomicLong lastVersion = new AtomicLong();

  ObjectStore(ObjectMapper json) {
    this.json = json;
  }

  ObjectNode get(ApiResource type, String namespace, String name) {
    Map.Entry<AttributeSet, String> e = crud.findResource(crud.getKey(type.itemPath(namespace, name)));
    return e == null ? null : parse(e.getValue());
  }

  /** Every object of {@code type}, in {@code namespace} or in all namespaces when it is null. */
  List<ObjectNode> list(ApiResource type, String namespace) {
    AttributeSet query = crud.getKey(type.collectionPath(namespace));
    List<String> found = new ArrayList<>();
    Map<AttributeSet, String> map = crud.getMap();
    synchronized (map) {
      map.forEach((k, v) -> {
        if (k.matches(query)) {
          found.add(v);
        }
      });
    }
    List<ObjectNode> out = new ArrayList<>(found.size());
    for (String s : found) {
      ObjectNode o = parse(s);
      // a core-group query also matches objects of the same plural in no group only; guard on apiVersion
      if (o.path("apiVersion").asText().equals(type.apiVersion()) && o.path("kind").asText().equals(type.kind())) {
        out.add(o);
      }
    }
    return out;
  }

  /** Stores {@code object} as the new state (null: deletes it) and tells the watchers. */
  void put(ApiResource type, String namespace, String name, ObjectNode object) {
    String path = type.itemPath(namespace, name);
    AttributeSet key = crud.getKey(path);
    Map.Entry<AttributeSet, String> old = crud.findResource(key);
    crud.processEvent(path, key, old == null ? null : old.getKey(), null, object == null ? null : write(object));
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
