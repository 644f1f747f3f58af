import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type AssetEvent, topics } from '@openfoundry/bus-registry';
import type { BusMessage, DataBus, DataConsumer } from '@openfoundry/event-bus-data';
import { InjectConfig, InjectDataBus } from '@openfoundry/service-kit';
import mqtt, { type MqttClient } from 'mqtt';
import type { ConnectorConfig } from '../config.ts';
import { DeviceManager } from '../devices/device-manager.ts';

const WEBHOOK_TIMEOUT_MS = 5_000;

/**
 * The outbound "socket" adapter: asset events matching a running device's `outbound` rules go out
 * to an MQTT topic on the device's broker or are POSTed to a webhook. It reads the asset stream as
 * the `connector-service.outbound` group, so each replica sees the partitions it was given and
 * applies the rules of the devices it runs.
 */
@Injectable()
export class OutboundService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboundService.name);
  private consumer: DataConsumer<AssetEvent> | undefined;
  private readonly clients = new Map<string, MqttClient>();
  readonly stats = { sent: 0, failed: 0 };

  constructor(
    // Null only while the OpenAPI document is built without buses.
    @InjectDataBus() private readonly bus: DataBus | null,
    private readonly devices: DeviceManager,
    @InjectConfig() private readonly config: ConnectorConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.CONNECTOR_OUTBOUND || !this.bus) return;
    this.consumer = await this.bus.consume<AssetEvent>(topics.assetEvents, {
      group: 'connector-service.outbound',
      from: 'latest',
      handler: (message) => this.handle(message),
    });
  }

  private async handle(message: BusMessage<AssetEvent>): Promise<void> {
    const event = message.value;
    const sends: Promise<void>[] = [];
    for (const device of this.devices.all()) {
      if (device.spec.tenant !== event.tenant) continue;
      for (const rule of device.spec.outbound ?? []) {
        if (rule.asset !== event.assetId) continue;
        if (rule.attribute !== undefined && rule.attribute !== event.attribute) continue;
        if (rule.mqttTopic) sends.push(this.toMqtt(device.spec.endpoint, rule.mqttTopic, event, device.key));
        if (rule.webhookUrl) sends.push(this.toWebhook(rule.webhookUrl, event, device.key));
      }
    }
    await Promise.all(sends);
  }

  private async toMqtt(endpoint: string | undefined, topic: string, event: AssetEvent, device: string) {
    if (!endpoint?.startsWith('mqtt')) {
      this.fail(device, topic, 'the device has no MQTT endpoint to publish to');
      return;
    }
    try {
      await this.client(endpoint).publishAsync(topic, JSON.stringify(event), { qos: 1 });
      this.stats.sent += 1;
    } catch (error) {
      this.fail(device, topic, (error as Error).message);
    }
  }

  private async toWebhook(url: string, event: AssetEvent, device: string) {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`the webhook answered ${response.status}`);
      this.stats.sent += 1;
    } catch (error) {
      this.fail(device, url, (error as Error).message);
    }
  }

  // A webhook that is down must not hold back the asset stream for everyone: logged and counted.
  private fail(device: string, target: string, reason: string) {
    this.stats.failed += 1;
    this.logger.warn({ msg: 'outbound delivery failed', device, target, reason });
  }

  private client(endpoint: string): MqttClient {
    let client = this.clients.get(endpoint);
    if (!client) {
      client = mqtt.connect(endpoint, {
        reconnectPeriod: 1_000,
        clientId: `openfoundry-outbound-${process.pid}-${this.clients.size}`,
      });
      client.on('error', (error) =>
        this.logger.warn({ msg: 'outbound MQTT error', endpoint, err: error.message }),
      );
      this.clients.set(endpoint, client);
    }
    return client;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.close();
    await Promise.all([...this.clients.values()].map((c) => c.endAsync().catch(() => {})));
    this.clients.clear();
  }
}
