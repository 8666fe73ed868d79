import './base.css';
import './search.css';
import './schema.css';
import './grid.css';
import './pipelines.css';
import './platform.css';
import './drive.css';
import './workbench.css';
