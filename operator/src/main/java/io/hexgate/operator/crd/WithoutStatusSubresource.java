package io.hexgate.operator.crd;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The kind has a {@code status} field but no status subresource, so a plain create or update writes the
 * status too. fabric8's generator adds the subresource to every kind with a status; {@link CrdFinisher}
 * takes it out again.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface WithoutStatusSubresource {}
