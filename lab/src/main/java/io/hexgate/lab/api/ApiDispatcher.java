package io.hexgate.lab.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes every request the mock web server receives: discovery, OpenAPI and version documents, the
 * authorization reviews clients send before they start, and the resource verbs. One lock orders all
 * reads and writes, as etcd's single revision counter orders a cluster's.
 */
final class ApiDispatcher extends Dispatcher {
  private static final Logger LOG = LoggerFactory.getLogger(ApiDispatcher.class);

  private final ResourceCatalog catalog;
  private final ResourceHandler handler;
  private final ObjectStore store;
  private final Discovery discovery;
  private final ObjectMapper json;
  private final ObjectMapper yaml;
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private final Vertx vertx;
  private volatile String serverAddress = "127.0.0.1";

  ApiDispatcher(ResourceCatalog catalog, ResourceHandler handler, ObjectStore store, ObjectMapper json, ObjectMapper yaml,
      Vertx vertx) {
    this.vertx = vertx;
    this.catalog = catalog;
    this.handler = handler;
    this.store = store;
    this.discovery = new Discovery(catalog);
    this.json = json;
    this.yaml = yaml;
  }

  void serverAddress(String hostPort) {
    this.serverAddress = hostPort;
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    ApiRequest req = ApiRequest.of(request.getMethod(), request.getPath());
    try {
      MockResponse r = route(request, req);
      LOG.debug("{} {} -> {}", req.method(), req.rawPath(), r.code());
      return r;
    } catch (ApiException e) {
      LOG.debug("{} {} -> {} {}", req.method(), req.rawPath(), e.code(), e.getMessage());
      return respond(e.code(), e.status(), List.of());
    } catch (RuntimeException e) {
      LOG.warn("{} {} failed", req.method(), req.rawPath(), e);
      return respond(500, new ApiException(500, "InternalError", "Internal error occurred: " + e, null).status(), List.of());
    }
  }

  private MockResponse route(RecordedRequest request, ApiRequest req) {
    List<String> s = req.segments();
    switch (req.path()) {
      case "/version":
        return ok(discovery.version());
      case "/healthz", "/readyz", "/livez":
        return new MockResponse().setResponseCode(200).setHeader("Content-Type", "text/plain").setBody("ok");
      case "/api":
        return ok(discovery.coreVersions(serverAddress));
      case "/apis":
        return ok(discovery.groups());
      case "/openapi/v3":
        return ok(read(discovery::openApiRoot));
      case "/openapi/v2":
        // kubectl only falls back to v2 for strategic-merge metadata; an empty document sends it to its
        // compiled-in types (protobuf encoding of an empty openapi_v2.Document is zero bytes)
        return new MockResponse().setResponseCode(200)
            .setHeader("Content-Type", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf").setBody(new byte[0]);
      default:
        break;
    }
    if (req.path().startsWith("/openapi/v3/")) {
      List<String> gv = s.subList(2, s.size());
      ObjectNode doc = read(() -> gv.size() == 2 && gv.get(0).equals("api") ? discovery.openApi("", gv.get(1))
          : gv.size() == 3 && gv.get(0).equals("apis") ? discovery.openApi(gv.get(1), gv.get(2)) : null);
      if (doc == null) {
        throw ApiException.noSuchPath(req.path());
      }
      return ok(doc);
    }
    String group;
    String version;
    List<String> rest;
    if (s.size() >= 2 && s.get(0).equals("api")) {
      group = "";
      version = s.get(1);
      rest = s.subList(2, s.size());
    } else if (s.size() >= 2 && s.get(0).equals("apis")) {
      group = s.get(1);
      if (s.size() == 2) {
        return ok(read(() -> groupDocument(group)));
      }
      version = s.get(2);
      rest = s.subList(3, s.size());
    } else {
      throw ApiException.noSuchPath(req.path());
    }
    if (rest.isEmpty()) {
      ObjectNode list = read(() -> discovery.resources(group, version));
      if (list == null) {
        throw ApiException.noSuchPath(req.path());
      }
      return ok(list);
    }
    if (group.equals("authorization.k8s.io") && req.method().equals("POST") && rest.size() == 1) {
      return review(rest.get(0), body(request));
    }
    if (group.isEmpty() && rest.size() == 3 && rest.get(0).equals("namespaces") && rest.get(2).equals("bindings")
        && req.method().equals("POST")) {
      // the bindings collection: the same as pods/NAME/binding, the pod named by the Binding
      JsonNode body = body(request);
      ApiResource pods = catalog.find("", "v1", "pods").orElseThrow();
      return write(() -> handler.bind(pods, rest.get(1), body.path("metadata").path("name").asText(""), body, req.params()));
    }
    String ns = null;
    List<String> r = rest;
    if (rest.size() >= 3 && rest.get(0).equals("namespaces")
        && catalog.find(group, version, rest.get(2)).map(ApiResource::namespaced).orElse(false)) {
      ns = rest.get(1);
      r = rest.subList(2, rest.size());
    }
    ApiResource type = catalog.find(group, version, r.get(0)).orElseThrow(() -> ApiException.noSuchPath(req.path()));
    if (type.namespaced() && ns == null && r.size() > 1) {
      throw ApiException.noSuchPath(req.path());
    }
    String name = r.size() > 1 ? r.get(1) : null;
    String sub = r.size() > 2 ? r.get(2) : null;
    boolean binding = "binding".equals(sub) && type.group().isEmpty() && type.kind().equals("Pod");
    if (r.size() > 3 || (sub != null && !(sub.equals("status") && type.statusSubresource())
        && !(sub.equals("scale") && type.scalable()) && !binding)) {
      throw ApiException.noSuchPath(req.path());
    }
    if (binding) {
      if (!req.method().equals("POST")) {
        throw ApiException.methodNotAllowed("pods/binding supports create only");
      }
      JsonNode body = body(request);
      String namespace = ns;
      return write(() -> handler.bind(type, namespace, name, body, req.params()));
    }
    if ("scale".equals(sub)) {
      return scale(request, req, type, ns, name);
    }
    return verb(request, req, type, ns, name, sub != null);
  }

  private MockResponse verb(RecordedRequest request, ApiRequest req, ApiResource type, String ns, String name,
      boolean status) {
    Map<String, String> params = req.params();
    boolean table = accepts(request, "as=Table");
    switch (req.method()) {
      case "GET": {
        if (name == null && ("true".equals(params.get("watch")) || "1".equals(params.get("watch")))) {
          return watch(request, req, type, ns);
        }
        if (name == null) {
          return read(() -> {
            List<ObjectNode> items = handler.list(type, ns, params.get("labelSelector"), params.get("fieldSelector"));
            return table ? ok(Tables.render(type, items, params.get("includeObject"), handler.currentVersion(), handler.instant()))
                : ok(handler.listDocument(type, items));
          });
        }
        return read(() -> {
          ObjectNode o = handler.get(type, ns, name);
          return table ? ok(Tables.render(type, List.of(o), params.get("includeObject"), handler.currentVersion(), handler.instant()))
              : ok(o);
        });
      }
      case "POST": {
        if (name != null) {
          throw ApiException.methodNotAllowed("the server does not allow this method on the requested resource");
        }
        JsonNode body = body(request);
        if (!(body instanceof ObjectNode o)) {
          throw ApiException.badRequest("the request body must be an object");
        }
        return write(() -> handler.create(type, ns, o, params));
      }
      case "PUT": {
        JsonNode body = body(request);
        if (name == null || !(body instanceof ObjectNode o)) {
          throw ApiException.methodNotAllowed("PUT needs an object name and an object body");
        }
        return write(() -> handler.update(type, ns, name, o, status, params));
      }
      case "PATCH": {
        if (name == null) {
          throw ApiException.methodNotAllowed("PATCH needs an object name");
        }
        JsonNode body = body(request);
        String contentType = request.getHeader("Content-Type");
        return write(() -> handler.patch(type, ns, name, contentType, body, status, params));
      }
      case "DELETE": {
        String text = request.getBody() == null ? "" : request.getUtf8Body();
        JsonNode options = text == null || text.isBlank() ? null : parse(text, false);
        if (name == null) {
          return write(() -> new ResourceHandler.Written(200,
              handler.listDocument(type, handler.deleteCollection(type, ns, params)), List.of()));
        }
        return write(() -> handler.delete(type, ns, name, options, params));
      }
      default:
        throw ApiException.methodNotAllowed("the server does not allow this method on the requested resource");
    }
  }

  /** {@code /scale}: an autoscaling/v1 Scale view of {@code spec.replicas}. */
  private MockResponse scale(RecordedRequest request, ApiRequest req, ApiResource type, String ns, String name) {
    switch (req.method()) {
      case "GET":
        return ok(read(() -> handler.scale(type, handler.get(type, ns, name))));
      case "PUT": {
        JsonNode body = body(request);
        return write(() -> handler.updateScale(type, ns, name, body, req.params()));
      }
      case "PATCH": {
        JsonNode patch = body(request);
        String contentType = request.getHeader("Content-Type");
        return write(() -> {
          ObjectNode current = handler.scale(type, handler.get(type, ns, name));
          String media = contentType == null ? "" : contentType.split(";")[0].trim();
          JsonNode next = switch (media) {
            case Patches.JSON_PATCH -> Patches.jsonPatch(patch, current);
            case Patches.MERGE_PATCH, Patches.APPLY -> Patches.mergePatch(current, patch);
            case Patches.STRATEGIC -> Patches.strategic(current, patch);
            default -> throw ApiException.unsupportedMediaType(contentType);
          };
          return handler.updateScale(type, ns, name, next, req.params());
        });
      }
      default:
        throw ApiException.methodNotAllowed("the scale subresource supports get, update and patch");
    }
  }

  /** Websocket watches (fabric8 clients) go to the CRUD dispatcher; plain HTTP ones are streamed by {@link #streamWatch}. */
  private MockResponse watch(RecordedRequest request, ApiRequest req, ApiResource type, String ns) {
    String upgrade = request.getHeader("Upgrade");
    if (upgrade != null && upgrade.equalsIgnoreCase("websocket")) {
      return read(() -> store.watch(req.rawPath()));
    }
    throw ApiException.badRequest("watches are served as websockets or as streamed HTTP responses");
  }

  /**
   * Streams a plain HTTP watch, as kubectl opens them: the changes after the requested resourceVersion,
   * then every change as it is stored, one JSON event per line, until {@code timeoutSeconds} or the client
   * goes. Returns false when {@code request} is not such a watch.
   */
  boolean streamWatch(HttpServerRequest request) {
    String upgrade = request.getHeader("Upgrade");
    if (request.method() != HttpMethod.GET || (upgrade != null && upgrade.equalsIgnoreCase("websocket"))) {
      return false;
    }
    ApiRequest req = ApiRequest.of("GET", request.uri());
    if (!"true".equals(req.param("watch")) && !"1".equals(req.param("watch"))) {
      return false;
    }
    HttpServerResponse response = request.response();
    ApiResource type;
    String ns;
    long since;
    try {
      List<String> s = req.segments();
      int base = s.size() >= 2 && s.get(0).equals("api") ? 2 : s.size() >= 3 && s.get(0).equals("apis") ? 3 : -1;
      if (base < 0 || s.size() <= base) {
        return false;
      }
      String group = base == 2 ? "" : s.get(1);
      String version = s.get(base - 1);
      List<String> rest = s.subList(base, s.size());
      if (rest.size() == 3 && rest.get(0).equals("namespaces")) {
        ns = rest.get(1);
        rest = rest.subList(2, 3);
      } else {
        ns = null;
      }
      if (rest.size() != 1) {
        return false;
      }
      String plural = rest.get(0);
      type = catalog.find(group, version, plural).orElseThrow(() -> ApiException.noSuchPath(req.path()));
      String rv = req.params().getOrDefault("resourceVersion", "");
      since = rv.isEmpty() ? 0 : Long.parseLong(rv);
    } catch (ApiException e) {
      response.setStatusCode(e.code()).putHeader("Content-Type", "application/json").end(e.status().toString());
      return true;
    } catch (NumberFormatException e) {
      ApiException bad = ApiException.badRequest("resourceVersion must be a number: " + req.param("resourceVersion"));
      response.setStatusCode(400).putHeader("Content-Type", "application/json").end(bad.status().toString());
      return true;
    }
    String labels = req.param("labelSelector");
    String fields = req.param("fieldSelector");
    java.util.function.Predicate<JsonNode> byLabels = Selectors.labels(labels);
    java.util.function.Predicate<JsonNode> byFields = Selectors.fields(fields);
    response.setChunked(true).setStatusCode(200).putHeader("Content-Type", "application/json");
    // kubectl get -w asks for Tables: each event then carries a one-row Table, as a cluster sends
    String accept = request.getHeader("Accept");
    boolean tables = accept != null && accept.contains("as=Table");
    java.util.function.UnaryOperator<ObjectNode> asTable = e -> {
      if (!tables || e.path("type").asText().equals("ERROR")) {
        return e;
      }
      ObjectNode t = json.createObjectNode().put("type", e.path("type").asText());
      t.set("object", Tables.render(type, List.of((ObjectNode) e.get("object")), req.param("includeObject"),
          handler.currentVersion(), handler.instant()));
      return t;
    };
    WatchListener[] self = new WatchListener[1];
    Runnable stop = () -> {
      handler.removeWatcher(self[0]);
      if (!response.ended() && !response.closed()) {
        response.end();
      }
    };
    self[0] = (event, changed, object) -> {
      if (!changed.apiVersion().equals(type.apiVersion()) || !changed.plural().equals(type.plural())) {
        return;
      }
      if (ns != null && !ns.equals(object.path("metadata").path("namespace").asText())) {
        return;
      }
      if (!byLabels.test(object) || !byFields.test(object)) {
        return;
      }
      ObjectNode e = json.createObjectNode().put("type", event);
      e.set("object", object);
      if (response.ended() || response.closed()) {
        handler.removeWatcher(self[0]);
        return;
      }
      response.write(asTable.apply(e).toString() + "\n");
    };
    // clients wait for the response head before they treat the watch as open
    response.writeHead();
    read(() -> {
      for (ObjectNode e : handler.watchEvents(type, ns, labels, fields, since)) {
        response.write(asTable.apply(e).toString() + "\n");
      }
      handler.addWatcher(self[0]);
      return null;
    });
    String seconds = req.params().getOrDefault("timeoutSeconds", "").replaceAll("\\D", "");
    long timeout = seconds.isEmpty() || seconds.length() > 9 ? 1800 : Long.parseLong(seconds);
    long timer = vertx.setTimer(Math.max(1, timeout) * 1000, id -> stop.run());
    response.closeHandler(v -> {
      vertx.cancelTimer(timer);
      handler.removeWatcher(self[0]);
    });
    LOG.debug("watching {} in {} from {}", type.qualifiedPlural(), ns == null ? "all namespaces" : ns, since);
    return true;
  }

  private ObjectNode groupDocument(String group) {
    for (JsonNode g : discovery.groups().path("groups")) {
      if (g.path("name").asText().equals(group)) {
        ObjectNode doc = ((ObjectNode) g).deepCopy();
        doc.put("kind", "APIGroup").put("apiVersion", "v1");
        return doc;
      }
    }
    throw ApiException.noSuchPath("/apis/" + group);
  }

  /** The lab has no users to tell apart: every review says the caller may do everything. */
  private MockResponse review(String resource, JsonNode body) {
    ObjectNode out = body instanceof ObjectNode o ? o.deepCopy() : json.createObjectNode();
    ObjectNode status = out.putObject("status");
    switch (resource) {
      case "selfsubjectrulesreviews" -> {
        status.put("incomplete", false);
        ObjectNode rule = status.putArray("resourceRules").addObject();
        rule.putArray("verbs").add("*");
        rule.putArray("apiGroups").add("*");
        rule.putArray("resources").add("*");
        ObjectNode nonResource = status.putArray("nonResourceRules").addObject();
        nonResource.putArray("verbs").add("*");
        nonResource.putArray("nonResourceURLs").add("*");
      }
      case "selfsubjectaccessreviews" -> status.put("allowed", true).put("reason", "the lab API authorizes every request");
      default -> throw ApiException.noSuchPath("/apis/authorization.k8s.io/v1/" + resource);
    }
    return respond(201, out, List.of());
  }

  private MockResponse write(Supplier<ResourceHandler.Written> action) {
    lock.writeLock().lock();
    try {
      ResourceHandler.Written w = action.get();
      return respond(w.code(), w.body(), w.warnings());
    } finally {
      lock.writeLock().unlock();
    }
  }

  private <T> T read(Supplier<T> action) {
    lock.readLock().lock();
    try {
      return action.get();
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Runs {@code action} with the write lock: for the server's own setup writes. */
  <T> T locked(Supplier<T> action) {
    lock.writeLock().lock();
    try {
      return action.get();
    } finally {
      lock.writeLock().unlock();
    }
  }

  private JsonNode body(RecordedRequest request) {
    String type = request.getHeader("Content-Type");
    if (type != null && type.contains("protobuf")) {
      return ProtobufBodies.decode(request.getBody().getBytes());
    }
    String text = request.getUtf8Body();
    if (text == null || text.isBlank()) {
      throw ApiException.badRequest("the request has no body");
    }
    return parse(text, type != null && type.contains("yaml"));
  }

  private JsonNode parse(String text, boolean isYaml) {
    try {
      return (isYaml ? yaml : json).readTree(text);
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest("the body of the request could not be decoded: " + e.getOriginalMessage());
    }
  }

  private static boolean accepts(RecordedRequest request, String fragment) {
    String accept = request.getHeader("Accept");
    return accept != null && accept.contains(fragment);
  }

  private MockResponse ok(JsonNode body) {
    return respond(200, body, List.of());
  }

  private static MockResponse respond(int code, JsonNode body, List<String> warnings) {
    MockResponse r = new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json")
        .setBody(body.toString());
    for (String w : warnings) {
      r.addHeader("Warning", "299 - " + FieldError.quote(w));
    }
    return r;
  }
}
