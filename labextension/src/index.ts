/**
 * kamld:plugin — adds the Datasets panel to the left sidebar and keeps it
 * connected to the kamld sidecar through the kamld server extension.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { KamldClient } from './api';
import {
  ConnectionModel,
  DEFAULT_POLL_SETTINGS,
  IPollSettings
} from './connectionModel';
import { DatasetsPanel } from './datasetsPanel';
import { EXTENSION_VERSION } from './version';

export const PLUGIN_ID = 'kamld:plugin';

/** Where the panel sits among the left sidebar's tabs (after the built-ins). */
const SIDEBAR_RANK = 600;

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'The Datasets panel: connection to the kamld sidecar.',
  autoStart: true,
  optional: [ILayoutRestorer, ISettingRegistry, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('kamld');
    const connection = new ConnectionModel({
      client: new KamldClient({
        serverSettings: app.serviceManager.serverSettings
      }),
      trans,
      extensionVersion: EXTENSION_VERSION
    });
    const panel = new DatasetsPanel(connection, trans);
    panel.disposed.connect(() => connection.dispose());

    app.shell.add(panel, 'left', { rank: SIDEBAR_RANK });
    restorer?.add(panel, panel.id);

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const apply = (): void => {
            connection.pollSettings = readPollSettings(settings.composite);
          };
          apply();
          settings.changed.connect(apply);
        })
        .catch(reason => {
          console.error(
            'kamld: could not load settings, using defaults',
            reason
          );
        });
    }
  }
};

/** Settings as the schema defines them, defaults where a value is invalid. */
function readPollSettings(
  composite: Readonly<Record<string, unknown>>
): IPollSettings {
  const seconds = (key: keyof IPollSettings): number => {
    const value = composite[key];
    return typeof value === 'number' && value > 0
      ? value
      : DEFAULT_POLL_SETTINGS[key];
  };
  return {
    pollInterval: seconds('pollInterval'),
    maxPollInterval: seconds('maxPollInterval')
  };
}

export default plugin;
