import type { Argv } from 'yargs';
import { COMPONENT_KINDS, registry, type ComponentKind } from '@zoo/core';
import { formatTable, type CliIo } from './io.js';

export function registryCommand(y: Argv, io: CliIo): Argv {
  return y.command('registry', 'Inspect the component registry', (r) =>
    r
      .command(
        'list [kind]',
        'List registered components (all kinds, or one)',
        (b) =>
          b
            .positional('kind', { choices: COMPONENT_KINDS, describe: 'only this component kind (default: every kind)' })
            .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of a table' })
            .example('$0 registry list', 'every registered component')
            .example('$0 registry list quantizer', 'the quantizers only'),
        (args) => {
          const kind = args.kind as ComponentKind | undefined;
          const entries = registry.list(kind);
          if (args.json) io.out(JSON.stringify(entries, null, 2));
          else if (!entries.length) io.out(`no ${kind ?? 'component'}s registered`);
          else
            io.out(
              formatTable(
                ['kind', 'name', 'description', 'reference'],
                entries.map((e) => [e.kind, e.name, e.description, e.reference ?? '']),
              ),
            );
        },
      )
      .demandCommand(1, 'Choose a registry action: list'),
  );
}
