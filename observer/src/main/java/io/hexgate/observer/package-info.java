/**
 * Flows as Hubble users know them, shared by the node agents (which observe) and the operator's relay
 * (which fans requests out to them): Hubble's wire types live in the contract module, their semantics here.
 */
package io.hexgate.observer;
