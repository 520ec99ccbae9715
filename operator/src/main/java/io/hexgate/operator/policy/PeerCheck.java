package io.hexgate.operator.policy;

import io.hexgate.operator.identity.CidrPrefix;
import io.hexgate.operator.policy.api.CidrRule;
import io.hexgate.operator.policy.api.EndpointSelector;
import io.hexgate.operator.policy.api.FqdnSelector;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Checks of the L3 peer members: CIDRs ({@code CIDR.Validate}, {@code CIDRRule.Validate}), FQDN
 * selectors and the removed {@code fromRequires}/{@code toRequires}.
 */
final class PeerCheck {
  // The CRD patterns ^([-a-zA-Z0-9_]+[.]?)+$ rewritten without nested quantifiers, which would make
  // java.util.regex backtrack exponentially on a long name that does not match.
  private static final Pattern FQDN_NAME =
      Pattern.compile("^[-a-zA-Z0-9_]+(\\.[-a-zA-Z0-9_]+)*\\.?$");
  private static final Pattern FQDN_PATTERN =
      Pattern.compile("^[-a-zA-Z0-9_*]+(\\.[-a-zA-Z0-9_*]+)*\\.?$");
  private static final int MAX_FQDN_LENGTH = 255;

  private PeerCheck() {}

  /** A {@code fromCIDR}/{@code toCIDR} entry: a prefix, or a bare address. */
  static void cidr(String cidr, String path, List<FieldError> out) {
    if (cidr == null || cidr.isEmpty()) {
      out.add(new FieldError(path, "IP must be specified"));
      return;
    }
    try {
      CidrPrefix.parse(cidr);
    } catch (CidrPrefix.InvalidCidrException e) {
      out.add(new FieldError(path, "unable to parse CIDR: " + e.getMessage()));
    }
  }

  /** A {@code fromCIDRSet}/{@code toCIDRSet} element. */
  static void cidrRule(CidrRule rule, String path, List<FieldError> out) {
    boolean hasCidr = rule.cidr != null && !rule.cidr.isEmpty();
    boolean hasRef = rule.cidrGroupRef != null && !rule.cidrGroupRef.isEmpty();
    boolean hasSelector = rule.cidrGroupSelector != null;
    int count = (hasCidr ? 1 : 0) + (hasRef ? 1 : 0) + (hasSelector ? 1 : 0);
    if (hasSelector) {
      // CiliumCIDRGroup labels have no source, so this is a plain Kubernetes selector.
      SelectorCheck.kubernetes("invalid label selector: ")
          .check(rule.cidrGroupSelector, path + ".cidrGroupSelector", out);
    }
    if (hasRef) {
      for (String msg : LabelSyntax.dns1123Subdomain(rule.cidrGroupRef)) {
        out.add(new FieldError(path + ".cidrGroupRef", K8sErrors.invalid(rule.cidrGroupRef, msg)));
      }
    }
    if (count == 0) {
      out.add(new FieldError(path, "one of cidr, cidrGroupRef, or cidrGroupSelector is required"));
      return;
    }
    if (count > 1) {
      out.add(
          new FieldError(
              path, "more than one of cidr, cidrGroupRef, or cidrGroupSelector may not be set"));
      return;
    }
    if (!hasCidr) {
      return;
    }
    CidrPrefix allow;
    try {
      // Unlike fromCIDR, a CIDRRule needs prefix notation.
      allow = CidrPrefix.parsePrefix(rule.cidr);
    } catch (CidrPrefix.InvalidCidrException e) {
      out.add(
          new FieldError(
              path + ".cidr",
              "unable to parse CIDRRule " + K8sErrors.quote(rule.cidr) + ": " + e.reason()));
      return;
    }
    if (rule.except == null) {
      return;
    }
    for (int i = 0; i < rule.except.size(); i++) {
      String except = rule.except.get(i) == null ? "" : rule.except.get(i);
      String exceptPath = path + ".except[" + i + "]";
      CidrPrefix excluded;
      try {
        excluded = CidrPrefix.parsePrefix(except);
      } catch (CidrPrefix.InvalidCidrException e) {
        out.add(new FieldError(exceptPath, "unable to parse CIDR: " + e.getMessage()));
        continue;
      }
      // Cilium only tests that the except's address is inside; we also want the mask inside, so
      // that "except" can never widen what it removes beyond the allowed prefix.
      if (!allow.contains(excluded)) {
        out.add(
            new FieldError(
                exceptPath,
                "allow CIDR prefix "
                    + rule.cidr
                    + " does not contain exclude CIDR prefix "
                    + except));
      }
    }
  }

  /** A {@code toFQDNs} element: exactly one of {@code matchName} and {@code matchPattern}. */
  static void fqdn(FqdnSelector s, String path, List<FieldError> out) {
    boolean hasName = s.matchName != null && !s.matchName.isEmpty();
    boolean hasPattern = s.matchPattern != null && !s.matchPattern.isEmpty();
    if (hasName && hasPattern) {
      out.add(
          new FieldError(
              path, "only one of MatchName or MatchPattern is allowed in an FQDNSelector"));
    } else if (!hasName && !hasPattern) {
      out.add(
          new FieldError(path, "one of MatchName or MatchPattern is required in an FQDNSelector"));
    }
    if (hasName) {
      fqdnSyntax(
          s.matchName,
          FQDN_NAME,
          "MatchName",
          "0-9, a-z, A-Z, _, . and -",
          path + ".matchName",
          out);
    }
    if (hasPattern) {
      fqdnSyntax(
          s.matchPattern,
          FQDN_PATTERN,
          "MatchPattern",
          "0-9, a-z, A-Z, _, ., - and *",
          path + ".matchPattern",
          out);
    }
  }

  private static void fqdnSyntax(
      String value,
      Pattern pattern,
      String field,
      String allowed,
      String path,
      List<FieldError> out) {
    if (value.length() > MAX_FQDN_LENGTH) {
      out.add(
          new FieldError(path, field + " must be no more than " + MAX_FQDN_LENGTH + " characters"));
    } else if (!pattern.matcher(value).matches()) {
      out.add(
          new FieldError(
              path,
              "Invalid characters in "
                  + field
                  + ": "
                  + K8sErrors.quote(value)
                  + ". Only "
                  + allowed
                  + " characters are allowed, without empty labels"));
    }
  }

  /** {@code fromRequires}/{@code toRequires}: removed upstream, kept as an always-empty list. */
  static void requires(List<String> requires, String path, List<FieldError> out) {
    if (requires != null && !requires.isEmpty()) {
      out.add(new FieldError(path, K8sErrors.tooMany(requires.size(), 0)));
    }
  }

  static void selectors(List<EndpointSelector> selectors, String path, List<FieldError> out) {
    if (selectors == null) {
      return;
    }
    for (int i = 0; i < selectors.size(); i++) {
      SelectorCheck.cilium().check(selectors.get(i), path + "[" + i + "]", out);
    }
  }
}
