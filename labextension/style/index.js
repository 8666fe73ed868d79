import './base.css';
import './search.css';
import './schema.css';
import './grid.css';
import './workbench.css';
