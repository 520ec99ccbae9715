package io.hexgate.operator.policy;

import io.hexgate.operator.identity.Identity;
import java.util.Collection;
import java.util.Set;

/** What deciding and rendering rule maps read: the live engine, or a {@link PolicySnapshot} of it. */
interface PolicyState {
  Endpoint endpoint(Endpoint.Key key);

  Collection<Endpoint> endpoints();

  Identity identityOf(Endpoint.Key key);

  Set<Endpoint.Key> endpointsWithIdentity(long identity);

  IdentityPolicy policy(long identity);
}
