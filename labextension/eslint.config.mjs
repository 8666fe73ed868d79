// eslint 9 flat config for the Datasets panel (src/) and its end-to-end tests
// (ui-tests/). Formatting is prettier's job: eslint-config-prettier comes last
// and switches off every rule that would fight it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    // Build output, dependencies, test artefacts and the Python side.
    ignores: [
      '**/node_modules/',
      'lib/',
      'coverage/',
      'kamld/',
      'tests/',
      // Generated wire types (make generate)
      'src/gen/',
      'ui-tests/test-results/',
      'ui-tests/artefacts/',
      'ui-tests/playwright-report/'
    ]
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      // JupyterLab's convention: interfaces start with I.
      '@typescript-eslint/naming-convention': [
        'error',
        {
          selector: 'interface',
          format: ['PascalCase'],
          custom: { regex: '^I[A-Z]', match: true }
        }
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { args: 'none', varsIgnorePattern: '^_', caughtErrors: 'none' }
      ],
      curly: ['error', 'all'],
      eqeqeq: ['error', 'smart'],
      'prefer-arrow-callback': 'error'
    }
  },
  {
    // CommonJS config files run by Node (jest.config.js).
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        module: 'writable',
        require: 'readonly',
        __dirname: 'readonly'
      }
    }
  },
  prettier
);
