/**
 * kamld:drive — registers the `kamld:` Contents drive with the document
 * manager beside the server's own drive (app.serviceManager.contents.addDrive;
 * the server's ContentsManager is not replaced) and shows it in a second file
 * browser in the left area (docs/drive.md).
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IFileBrowserFactory } from '@jupyterlab/filebrowser';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { PALETTE_CATEGORY } from '../commandIds';
import { DatasetClient } from '../datasetApi';
import { jupyterTransport } from '../transport';
import { createDriveBrowser } from './driveBrowser';
import { DriveCommandIds } from './driveCommandIds';
import { registerDriveCommands } from './driveCommands';
import { driveIcon } from './driveIcon';
import { FileKinds, IFileKind } from './driveModels';
import { KamldDrive } from './kamldDrive';
import { VersionKernels } from './versionKernels';

/** Where the drive browser sits among the left sidebar's tabs: after the Datasets panel. */
const SIDEBAR_RANK = 610;

/** Text formats JupyterLab's editors open when no file type claims a file. */
const TEXT_MEDIA =
  /^(text\/|application\/(json|xml|x-ndjson|yaml|toml|javascript|x-sh))/;

/** A file's kind from JupyterLab's document registry (icons, viewers), else from its media type. */
function registryKinds(app: JupyterFrontEnd): FileKinds {
  return (path, mediaType): IFileKind => {
    const type = app.docRegistry.getFileTypesForPath(path)[0];
    const fallback = TEXT_MEDIA.test(mediaType) ? 'text' : 'base64';
    return {
      type: type?.contentType === 'notebook' ? 'notebook' : 'file',
      format: type?.fileFormat ?? fallback,
      mimetype: type?.mimeTypes[0] ?? mediaType
    };
  };
}

export const drivePlugin: JupyterFrontEndPlugin<void> = {
  id: 'kamld:drive',
  description:
    'The kamld: drive: datasets, refs and files in a file browser and in JupyterLab’s own viewers.',
  autoStart: true,
  requires: [IFileBrowserFactory],
  optional: [ITranslator, ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    factory: IFileBrowserFactory,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): void => {
    const tr = translator ?? nullTranslator;
    const trans = tr.load('kamld');
    const serverSettings = app.serviceManager.serverSettings;
    const transport = jupyterTransport(serverSettings);
    const client = new DatasetClient({
      baseUrl: serverSettings.baseUrl,
      transport
    });
    const drive = new KamldDrive({
      client,
      transport,
      serverSettings,
      kinds: registryKinds(app)
    });
    app.serviceManager.contents.addDrive(drive);

    const browser = createDriveBrowser(factory, drive, tr, trans);
    app.shell.add(browser, 'left', { rank: SIDEBAR_RANK });
    restorer?.add(browser, browser.id);
    registerDriveCommands(app, browser, client, trans);
    new VersionKernels(app.serviceManager, trans);

    app.commands.addCommand(DriveCommandIds.openBrowser, {
      label: trans.__('Show Datasets as Files (kamld:)'),
      icon: driveIcon,
      execute: () => app.shell.activateById(browser.id)
    });
    palette?.addItem({
      command: DriveCommandIds.openBrowser,
      category: PALETTE_CATEGORY
    });
  }
};
