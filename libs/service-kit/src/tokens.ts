import { Inject } from '@nestjs/common';

export const SERVICE_CONFIG = Symbol('openfoundry:service-config');
export const SERVICE_MANIFEST = Symbol('openfoundry:service-manifest');

/** Injects the validated config (common variables plus the service's own). */
export const InjectConfig = (): ParameterDecorator & PropertyDecorator => Inject(SERVICE_CONFIG);
export const OUTBOX_RELAY = Symbol('openfoundry:outbox-relay');

/** Injects the OutboxRelay (null unless the definition sets `outbox`), to poke it after a commit. */
export const InjectOutbox = (): ParameterDecorator & PropertyDecorator => Inject(OUTBOX_RELAY);
