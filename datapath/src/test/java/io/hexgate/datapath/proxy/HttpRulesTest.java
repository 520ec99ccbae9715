package io.hexgate.datapath.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.contract.v1.HeaderMatch;
import io.hexgate.contract.v1.HttpMatch;
import io.hexgate.contract.v1.MismatchAction;
import java.util.List;
import org.junit.jupiter.api.Test;

class HttpRulesTest {
  private static RequestHead get(String uri, String... headers) {
    return request("GET", uri, headers);
  }

  private static RequestHead request(String method, String uri, String... headers) {
    return new RequestHead(method, uri, "HTTP/1.1", HeaderList.of(headers), 0);
  }

  private static boolean allows(List<HttpMatch> rules, RequestHead r) {
    return HttpRules.compile(rules).decide(r).allowed();
  }

  private static HttpMatch headerMatch(String name, String value, MismatchAction action) {
    HeaderMatch.Builder h = HeaderMatch.newBuilder().setName(name).setMismatch(action);
    if (value != null) {
      h.setValue(value);
    }
    return HttpMatch.newBuilder().addHeaderMatches(h).build();
  }

  @Test
  void pathMustMatchTheWholeTargetIncludingTheQuery() {
    List<HttpMatch> rules = List.of(HttpMatch.newBuilder().setMethod("POST").setPath("/v1/request-landing").build());
    assertThat(allows(rules, request("POST", "/v1/request-landing"))).isTrue();
    assertThat(allows(rules, request("POST", "/v1/request-landing/x"))).isFalse();
    assertThat(allows(rules, request("POST", "/v1/request-landing?x=1"))).isFalse();
    assertThat(allows(rules, request("POST", "/v1/request"))).isFalse();

    List<HttpMatch> exact = List.of(HttpMatch.newBuilder().setPath("/v1/request").build());
    assertThat(allows(exact, get("/v1/request-landing"))).isFalse();
    assertThat(allows(exact, get("/v1/request"))).isTrue();

    List<HttpMatch> prefix = List.of(HttpMatch.newBuilder().setPath("/v1/.*").build());
    assertThat(allows(prefix, get("/v1/a?b=c"))).isTrue();
    assertThat(allows(prefix, get("/v2/a"))).isFalse();
    assertThat(allows(prefix, get("http://deathstar/v1/a"))).as("absolute-form: :path only").isTrue();
  }

  @Test
  void aPathWithoutMetacharactersMatchesItselfOnlyAndOneWithThemStaysARegex() {
    List<HttpMatch> plain = List.of(HttpMatch.newBuilder().setPath("/a-b=c,d").build());
    assertThat(allows(plain, get("/a-b=c,d"))).isTrue();
    assertThat(allows(plain, get("/A-B=C,D"))).isFalse();
    assertThat(allows(plain, get("/a-b=c,dd"))).isFalse();

    List<HttpMatch> dotted = List.of(HttpMatch.newBuilder().setPath("/v1/a.b").build());
    assertThat(allows(dotted, get("/v1/a.b"))).isTrue();
    assertThat(allows(dotted, get("/v1/axb"))).as("'.' is any character").isTrue();
    assertThat(allows(dotted, get("/v1/a.bc"))).isFalse();
  }

  @Test
  void methodIsAWholeValueRegex() {
    List<HttpMatch> rules = List.of(HttpMatch.newBuilder().setMethod("GET|HEAD").build());
    assertThat(allows(rules, get("/"))).isTrue();
    assertThat(allows(rules, request("HEAD", "/"))).isTrue();
    assertThat(allows(rules, request("POST", "/"))).isFalse();
    assertThat(allows(List.of(HttpMatch.newBuilder().setMethod("GE").build()), get("/"))).isFalse();
  }

  @Test
  void hostMatchesTheHostHeader() {
    List<HttpMatch> rules = List.of(HttpMatch.newBuilder().setHost("api\\.example\\.com").build());
    assertThat(allows(rules, get("/", "Host", "api.example.com"))).isTrue();
    assertThat(allows(rules, get("/", "Host", "api.example.com.evil"))).isFalse();
    assertThat(allows(rules, get("/"))).isFalse();
    assertThat(allows(rules, get("http://api.example.com/x"))).isTrue();
  }

  @Test
  void headersRequirePresenceOrAnExactValue() {
    List<HttpMatch> presence = List.of(HttpMatch.newBuilder().addHeaders("X-Token").build());
    assertThat(allows(presence, get("/", "x-token", "anything"))).isTrue();
    assertThat(allows(presence, get("/"))).isFalse();

    List<HttpMatch> value = List.of(HttpMatch.newBuilder().addHeaders("X-Has-Force: True").build());
    assertThat(allows(value, get("/", "X-Has-Force", "True"))).isTrue();
    assertThat(allows(value, get("/", "X-Has-Force", "False"))).isFalse();
    assertThat(allows(value, get("/"))).isFalse();
  }

  @Test
  void headerMatchWithoutActionFailsOnMissingOrDifferent() {
    List<HttpMatch> rules = List.of(headerMatch("X-Env", "prod", MismatchAction.MISMATCH_ACTION_NONE));
    assertThat(allows(rules, get("/", "X-Env", "prod"))).isTrue();
    assertThat(allows(rules, get("/", "X-Env", "dev"))).isFalse();
    assertThat(allows(rules, get("/"))).isFalse();
  }

  @Test
  void headerFromASecretFailsClosed() {
    HttpMatch m = HttpMatch.newBuilder()
        .addHeaderMatches(HeaderMatch.newBuilder().setName("X-Key").setFromSecret(true)
            .setMismatch(MismatchAction.MISMATCH_ACTION_LOG))
        .build();
    assertThat(allows(List.of(m), get("/", "X-Key", "whatever"))).isFalse();
  }

  @Test
  void logPassesAndLeavesTheRequestAlone() {
    RequestHead r = get("/", "X-Env", "dev");
    assertThat(allows(List.of(headerMatch("X-Env", "prod", MismatchAction.MISMATCH_ACTION_LOG)), r)).isTrue();
    assertThat(r.headers.getAll("X-Env")).containsExactly("dev");
  }

  @Test
  void addAddsTheHeaderWhenMissing() {
    List<HttpMatch> rules = List.of(headerMatch("X-Env", "prod", MismatchAction.MISMATCH_ACTION_ADD));
    RequestHead missing = get("/");
    assertThat(allows(rules, missing)).isTrue();
    assertThat(missing.headers.getAll("X-Env")).containsExactly("prod");
    RequestHead matching = get("/", "X-Env", "prod");
    assertThat(allows(rules, matching)).isTrue();
    assertThat(matching.headers.getAll("X-Env")).containsExactly("prod");
  }

  @Test
  void deleteRemovesAMismatchingHeader() {
    List<HttpMatch> rules = List.of(headerMatch("X-Env", "prod", MismatchAction.MISMATCH_ACTION_DELETE));
    RequestHead wrong = get("/", "X-Env", "dev");
    assertThat(allows(rules, wrong)).isTrue();
    assertThat(wrong.headers.contains("X-Env")).isFalse();
    RequestHead right = get("/", "X-Env", "prod");
    assertThat(allows(rules, right)).isTrue();
    assertThat(right.headers.get("X-Env")).isEqualTo("prod");
  }

  @Test
  void replaceSetsTheValue() {
    List<HttpMatch> rules = List.of(headerMatch("X-Env", "prod", MismatchAction.MISMATCH_ACTION_REPLACE));
    RequestHead wrong = get("/", "X-Env", "dev");
    assertThat(allows(rules, wrong)).isTrue();
    assertThat(wrong.headers.getAll("X-Env")).containsExactly("prod");
    RequestHead missing = get("/");
    assertThat(allows(rules, missing)).isTrue();
    assertThat(missing.headers.getAll("X-Env")).containsExactly("prod");
  }

  @Test
  void aRequestPassesWhenAnyRuleOfTheUnionMatches() {
    List<HttpMatch> rules = List.of(
        HttpMatch.newBuilder().setMethod("GET").setPath("/public/.*").build(),
        HttpMatch.newBuilder().setMethod("POST").setPath("/submit").addHeaders("X-Token").build());
    assertThat(allows(rules, get("/public/a"))).isTrue();
    assertThat(allows(rules, request("POST", "/submit", "X-Token", "t"))).isTrue();
    assertThat(allows(rules, request("POST", "/submit"))).isFalse();
    assertThat(allows(rules, request("POST", "/public/a"))).isFalse();
    assertThat(allows(rules, get("/submit"))).isFalse();
  }

  @Test
  void anEmptyListAllowsEverythingAndAnEmptyRuleToo() {
    assertThat(allows(List.of(), request("DELETE", "/anything"))).isTrue();
    assertThat(allows(List.of(HttpMatch.getDefaultInstance()), request("PUT", "/x"))).isTrue();
  }

  @Test
  void upgradeOnlyWhenTheMatchingRuleRequiresIt() {
    RequestHead ws = get("/ws", "Upgrade", "websocket", "Connection", "Upgrade");
    assertThat(HttpRules.compile(List.of()).decide(ws).upgradeAllowed()).isFalse();
    assertThat(HttpRules.compile(List.of(HttpMatch.newBuilder().addHeaders("Upgrade").build())).decide(ws))
        .isEqualTo(new HttpRules.Decision(true, true));
  }

  @Test
  void compiledRulesAreSharedPerList() {
    List<HttpMatch> a = List.of(HttpMatch.newBuilder().setPath("/a").build());
    List<HttpMatch> b = List.of(HttpMatch.newBuilder().setPath("/a").build());
    assertThat(HttpRules.compile(a)).isSameAs(HttpRules.compile(b));
  }
}
